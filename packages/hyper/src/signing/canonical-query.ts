import { percentDecode, percentEncode } from './percent-encode.js';

/** Compares strings by their UTF-8 bytes, like Go's `sort.Strings`. */
function compareBytes(left: string, right: string): number {
  return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
}

/**
 * Go's `url.ParseQuery` on a raw query (without `?`): `&`-separated pairs, `key` without `=` has an
 * empty value, `+` and `%20` both decode to a space. Pairs with a malformed escape are skipped, as
 * Go does. Keys keep the order their values were sent in.
 */
export function parseGoQuery(rawQuery: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const pair of rawQuery.split('&')) {
    if (pair.length === 0) continue;
    const equals = pair.indexOf('=');
    const rawKey = equals === -1 ? pair : pair.slice(0, equals);
    const rawValue = equals === -1 ? '' : pair.slice(equals + 1);
    const key = percentDecode(rawKey, true);
    const value = percentDecode(rawValue, true);
    if (key === undefined || value === undefined) continue;
    const list = values.get(key);
    if (list) list.push(value);
    else values.set(key, [value]);
  }
  return values;
}

/**
 * Hyper's canonical query (Go `normquery`): `url.Values.Encode()` of the parsed query, i.e. keys
 * sorted, each key's values in the order sent, `url.QueryEscape`d, then every `+` (an encoded
 * space) replaced by `%20`. No query → ``.
 */
export function canonicalQuery(rawQuery: string): string {
  const values = parseGoQuery(rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery);
  const parts: string[] = [];
  for (const key of [...values.keys()].sort(compareBytes)) {
    for (const value of values.get(key) ?? []) {
      parts.push(`${percentEncode(key, true)}=${percentEncode(value, true)}`);
    }
  }
  return parts.join('&').replaceAll('+', '%20');
}
