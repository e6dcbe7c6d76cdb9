import { canonicalHost } from './canonical-headers.js';
import { canonicalRequest, credentialScope, stringToSign } from './canonical-request.js';
import { HYPER_SIGNING } from './constants.js';
import { formatHyperDate } from './hyper-date.js';
import { regionForHost } from './region.js';
import { sha256Hex, signature, signingKey } from './signing-key.js';

export interface SignHyperRequestInput {
  /** HTTP method, e.g. `POST`. */
  readonly method: string;
  /** The full URL the request goes to, e.g. `https://us-west-1.hyper.sh/v1.23/containers/create?name=x`. */
  readonly url: string | URL;
  /** Headers the request already carries. `Content-Type`, `Content-Md5` and `X-Hyper-*` ones are signed. */
  readonly headers?: Readonly<Record<string, string>> | Headers;
  /** The exact body bytes (a string is sent as UTF-8). Absent or empty for no body. */
  readonly body?: string | Uint8Array;
  readonly accessKey: string;
  readonly secretKey: string;
  /** Region to sign for when the host is not `<region>.hyper.sh`. Default `us-west-1`. */
  readonly region?: string;
  /** Signing time. Default: now. An `X-Hyper-Date` header, when given, wins. */
  readonly date?: Date;
}

/** The headers to add to the request. */
export interface HyperSignedHeaders {
  readonly 'X-Hyper-Date': string;
  readonly 'X-Hyper-Content-Sha256': string;
  readonly 'Content-Type': string;
  readonly Authorization: string;
}

function headerEntries(headers: SignHyperRequestInput['headers']): [string, string][] {
  if (!headers) return [];
  if (headers instanceof Headers) return [...headers.entries()];
  return Object.entries(headers);
}

/**
 * Signs a request for the Hyper API with `HYPER-HMAC-SHA256`, following Hyper's Go client
 * (`hyper-api/signature/sign4.go`): payload hash, `content-type`/`content-md5`/`host`/`x-hyper-*`
 * headers, canonical URI without leading slash or empty segments, canonical query sorted by key,
 * `host` without `:80`/`:443`, key chain from `"HYPER"+secret`, scope
 * `DATE/REGION/hyper/hyper_request`. Returns the headers to send; the secret key never leaves this
 * function.
 */
export function signHyperRequest(input: SignHyperRequestInput): HyperSignedHeaders {
  const url = typeof input.url === 'string' ? new URL(input.url) : input.url;
  const given = new Map<string, string>();
  for (const [name, value] of headerEntries(input.headers)) given.set(name.toLowerCase(), value);

  const hyperDate = given.get('x-hyper-date') ?? formatHyperDate(input.date ?? new Date());
  const contentType = given.get('content-type') ?? 'application/json';
  const body = input.body ?? '';
  const payloadHash = sha256Hex(body);
  const host = canonicalHost(url.host);

  const toSign = new Map<string, string>([
    ['content-type', contentType],
    ['host', host],
  ]);
  for (const [name, value] of given) {
    if (name === 'content-md5' || name.startsWith(HYPER_SIGNING.signedHeaderPrefix)) toSign.set(name, value);
  }
  toSign.set('x-hyper-date', hyperDate);
  toSign.set('x-hyper-content-sha256', payloadHash);

  const canonical = canonicalRequest({
    method: input.method,
    path: url.pathname,
    query: url.search.slice(1),
    headers: toSign,
    payloadHash,
  });
  const region = regionForHost(url.host, input.region);
  const scope = credentialScope(hyperDate, region);
  const key = signingKey(input.secretKey, hyperDate.slice(0, 8), region);
  const hex = signature(key, stringToSign(hyperDate, scope, canonical.text));
  return {
    'X-Hyper-Date': hyperDate,
    'X-Hyper-Content-Sha256': payloadHash,
    'Content-Type': contentType,
    Authorization: `${HYPER_SIGNING.algorithm} Credential=${input.accessKey}/${scope}, SignedHeaders=${canonical.signedHeaders}, Signature=${hex}`,
  };
}
