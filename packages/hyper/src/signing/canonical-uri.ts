import { percentDecode, percentEncode } from './percent-encode.js';

/**
 * Hyper's canonical URI (Go `normuri`): the decoded path split on `/`, empty segments dropped (so
 * no leading or trailing slash and `//` collapses), each segment percent-encoded with upper-case
 * hex, joined with `/`. `/v1.23/containers/abc/json` → `v1.23/containers/abc/json`; `/` → ``.
 *
 * `encodedPath` is the path as it appears in a URL (percent-encoded); it is decoded first, like the
 * Go server's `URL.Path`.
 */
export function canonicalUri(encodedPath: string): string {
  const decoded = percentDecode(encodedPath) ?? encodedPath;
  return decoded
    .split('/')
    .filter((segment) => segment.length > 0)
    .map((segment) => percentEncode(segment))
    .join('/');
}
