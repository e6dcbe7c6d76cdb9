import { canonicalHeaders } from './canonical-headers.js';
import { canonicalQuery } from './canonical-query.js';
import { canonicalUri } from './canonical-uri.js';
import { HYPER_SIGNING } from './constants.js';
import { sha256Hex } from './signing-key.js';

export interface CanonicalRequestInput {
  readonly method: string;
  /** The URL path as sent (percent-encoded). */
  readonly path: string;
  /** The raw query, without `?`. */
  readonly query: string;
  /** The headers to sign (any case), with `host` already following the host rule. */
  readonly headers: ReadonlyMap<string, string>;
  /** Lower-case hex SHA-256 of the body. */
  readonly payloadHash: string;
}

export interface CanonicalRequest {
  readonly text: string;
  readonly signedHeaders: string;
}

/**
 * `METHOD\ncanonURI\ncanonQuery\ncanonHeaders\nsignedHeaders\npayloadHash` (the header lines end in
 * `\n`, so a blank line precedes the signed-headers list).
 */
export function canonicalRequest(input: CanonicalRequestInput): CanonicalRequest {
  const { lines, signedHeaders } = canonicalHeaders(input.headers);
  const text = [
    input.method.toUpperCase(),
    canonicalUri(input.path),
    canonicalQuery(input.query),
    lines,
    signedHeaders,
    input.payloadHash,
  ].join('\n');
  return { text, signedHeaders };
}

/** The scope `DATE8/REGION/hyper/hyper_request`. */
export function credentialScope(hyperDate: string, region: string): string {
  return `${hyperDate.slice(0, 8)}/${region}/${HYPER_SIGNING.service}/${HYPER_SIGNING.terminator}`;
}

/** `HYPER-HMAC-SHA256\n<X-Hyper-Date>\n<scope>\n<hex SHA-256 of the canonical request>`. */
export function stringToSign(hyperDate: string, scope: string, canonicalRequestText: string): string {
  return [HYPER_SIGNING.algorithm, hyperDate, scope, sha256Hex(canonicalRequestText)].join('\n');
}
