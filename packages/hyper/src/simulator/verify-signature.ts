import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { canonicalHost, hostWithoutPort } from '../signing/canonical-headers.js';
import { canonicalRequest, stringToSign } from '../signing/canonical-request.js';
import { HYPER_SIGNING } from '../signing/constants.js';
import { parseHyperDate } from '../signing/hyper-date.js';
import { sha256Hex, signature, signingKey } from '../signing/signing-key.js';

export interface VerificationInput {
  readonly method: string;
  /** Path as received (percent-encoded). */
  readonly path: string;
  /** Raw query without `?`. */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
  /** Secret key of an access key, or undefined when the key is unknown. */
  readonly secretFor: (accessKey: string) => string | undefined;
  /** The server's own region: the key is derived with it, whatever the scope says. */
  readonly region: string;
  /** The server's clock. */
  readonly now: Date;
  /** Also reject dates more than 5 minutes ahead of the server's clock. */
  readonly rejectFutureDates: boolean;
}

/** Why a request failed verification. */
export type VerificationFailure =
  | 'missing-authorization'
  | 'malformed-authorization'
  | 'missing-signed-header'
  | 'bad-date'
  | 'expired'
  | 'future-date'
  | 'payload-mismatch'
  | 'unknown-access-key'
  | 'signature-mismatch';

export type VerificationResult =
  | {
      readonly verified: true;
      readonly accessKey: string;
      /** `exact`: the Go host rule matched; `port-stripped`: only the lenient any-port-stripped form did (Python-style clients). */
      readonly hostRule: 'exact' | 'port-stripped';
    }
  | {
      readonly verified: false;
      readonly failure: VerificationFailure;
      readonly message: string;
      readonly accessKey?: string;
    };

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function fail(failure: VerificationFailure, message: string, accessKey?: string): VerificationResult {
  return accessKey === undefined
    ? { verified: false, failure, message: `Unauthorized: ${message}` }
    : { verified: false, failure, message: `Unauthorized: ${message}`, accessKey };
}

function sameHex(left: string, right: string): boolean {
  const a = Buffer.from(left, 'utf8');
  const b = Buffer.from(right, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Verifies a request the way Hyper's server-side `Signiture4` does: the canonical request is rebuilt
 * from the `SignedHeaders` list the client sent and the values received, the scope is taken as sent,
 * the key is derived from the scope's date and the server's own region, the body hash is recomputed
 * ("payload check error"), and a date more than 5 minutes old is refused.
 */
export function verifyHyperSignature(input: VerificationInput): VerificationResult {
  const authorization = header(input.headers, 'authorization');
  if (!authorization) return fail('missing-authorization', 'missing Authorization header');
  const match = /^(\S+)\s+(.*)$/s.exec(authorization.trim());
  if (!match || match[1] !== HYPER_SIGNING.algorithm) {
    return fail('malformed-authorization', `Authorization must use ${HYPER_SIGNING.algorithm}`);
  }
  const fields = new Map<string, string>();
  for (const part of (match[2] ?? '').split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeadersList = fields.get('SignedHeaders');
  const sentSignature = fields.get('Signature');
  if (!credential || !signedHeadersList || !sentSignature) {
    return fail('malformed-authorization', 'Authorization needs Credential, SignedHeaders and Signature');
  }
  const credentialParts = credential.split('/');
  const [accessKey, date8, scopeRegion, service, terminator] = credentialParts;
  if (
    credentialParts.length !== 5 ||
    !accessKey ||
    !date8 ||
    !scopeRegion ||
    service !== HYPER_SIGNING.service ||
    terminator !== HYPER_SIGNING.terminator
  ) {
    return fail('malformed-authorization', 'Credential must be <access key>/<date>/<region>/hyper/hyper_request');
  }

  const signedNames = signedHeadersList.split(';').map((name) => name.trim().toLowerCase());
  for (const required of ['host', 'x-hyper-date', 'x-hyper-content-sha256']) {
    if (!signedNames.includes(required)) {
      return fail('missing-signed-header', `SignedHeaders must include ${required}`, accessKey);
    }
  }
  for (const name of signedNames) {
    if (header(input.headers, name) === undefined) {
      return fail('missing-signed-header', `signed header ${name} is missing from the request`, accessKey);
    }
  }

  const hyperDate = header(input.headers, 'x-hyper-date') ?? '';
  const date = parseHyperDate(hyperDate.trim());
  if (!date) return fail('bad-date', `X-Hyper-Date must be YYYYMMDDTHHMMSSZ`, accessKey);
  const skew = input.now.getTime() - date.getTime();
  if (skew > HYPER_SIGNING.expiryMilliseconds) {
    return fail('expired', `request expired (expired after 5min): X-Hyper-Date ${hyperDate}`, accessKey);
  }
  if (input.rejectFutureDates && -skew > HYPER_SIGNING.expiryMilliseconds) {
    return fail('future-date', `X-Hyper-Date ${hyperDate} is more than 5min ahead of the server clock`, accessKey);
  }

  const payloadHash = sha256Hex(input.body);
  if ((header(input.headers, 'x-hyper-content-sha256') ?? '').trim() !== payloadHash) {
    return fail('payload-mismatch', 'payload check error', accessKey);
  }

  const secretKey = input.secretFor(accessKey);
  if (secretKey === undefined) return fail('unknown-access-key', `unknown access key ${accessKey}`, accessKey);

  const key = signingKey(secretKey, date8, input.region);
  const receivedHost = header(input.headers, 'host') ?? '';
  const hostForms: ['exact' | 'port-stripped', string][] = [
    ['exact', canonicalHost(receivedHost)],
    ['port-stripped', hostWithoutPort(receivedHost)],
  ];
  for (const [hostRule, host] of hostForms) {
    const signedHeaders = new Map<string, string>();
    for (const name of signedNames)
      signedHeaders.set(name, name === 'host' ? host : (header(input.headers, name) ?? ''));
    const canonical = canonicalRequest({
      method: input.method,
      path: input.path,
      query: input.query,
      headers: signedHeaders,
      payloadHash: (header(input.headers, 'x-hyper-content-sha256') ?? '').trim(),
    });
    const expected = signature(
      key,
      stringToSign(hyperDate.trim(), credential.slice(accessKey.length + 1), canonical.text),
    );
    if (sameHex(expected, sentSignature)) return { verified: true, accessKey, hostRule };
  }
  return fail('signature-mismatch', 'signature does not match (check the secret key and the region)', accessKey);
}
