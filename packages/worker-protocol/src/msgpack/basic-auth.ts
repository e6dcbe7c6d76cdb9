import { createHash, timingSafeEqual } from 'node:crypto';

export type BasicCredentials = { readonly name: string; readonly password: string };

/**
 * Parses an `Authorization` header the way Buildbot's msgpack master does: `undefined` header →
 * `missing` (401), not `Basic …` or no colon after decoding → `malformed` (400). The user name
 * ends at the first colon; the password may contain colons.
 */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | 'missing' | 'malformed' {
  if (header === undefined) return 'missing';
  if (!header.startsWith('Basic')) return 'malformed';
  const encoded = header.slice(6).trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return 'malformed';
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    return 'malformed';
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Compares two passwords in time independent of where they differ (digests make the lengths equal). */
export function passwordsMatch(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
