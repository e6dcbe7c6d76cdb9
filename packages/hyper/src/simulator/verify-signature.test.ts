import { describe, expect, it } from 'vitest';
import { type VerificationInput, verifyHyperSignature } from './verify-signature.js';

const EMPTY_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const V1_AUTHORIZATION =
  'HYPER-HMAC-SHA256 Credential=5O4KAD63BNZBF9KON6BVP655/20160614/us-west-1/hyper/hyper_request, SignedHeaders=content-type;host;x-hyper-content-sha256;x-hyper-date, Signature=54a3cce3b25f6efc6a0da17ac0bf3039d5281684a8a8ee082d180819ac02fb6a';

/** The V1 vector (hyper-aws4 GET /version) as a server receives it, one minute after it was signed. */
function v1(overrides: Partial<VerificationInput> = {}, headers: Record<string, string> = {}): VerificationInput {
  return {
    method: 'GET',
    path: '/version',
    query: '',
    headers: {
      host: 'us-west-1.hyper.sh',
      'content-type': 'application/json',
      'x-hyper-date': '20160614T100221Z',
      'x-hyper-content-sha256': EMPTY_HASH,
      authorization: V1_AUTHORIZATION,
      ...headers,
    },
    body: new Uint8Array(),
    secretFor: (accessKey) =>
      accessKey === '5O4KAD63BNZBF9KON6BVP655' ? '4XrYLX30vmVsWz3w3orGrtymaXYaQ93SBPOmKowM' : undefined,
    region: 'us-west-1',
    now: new Date(Date.UTC(2016, 5, 14, 10, 3, 21)),
    rejectFutureDates: true,
    ...overrides,
  };
}

describe('verifyHyperSignature (the server side of the signing)', () => {
  it('accepts the published V1 request', () => {
    expect(verifyHyperSignature(v1())).toEqual({
      verified: true,
      accessKey: '5O4KAD63BNZBF9KON6BVP655',
      hostRule: 'exact',
    });
  });

  it('accepts the published V2 request with its JSON body', () => {
    const body = '{"fromSrc":"http://image-tarball.s3.amazonaws.com/test/public/helloworld.tar.gz","quiet":false}';
    const result = verifyHyperSignature(
      v1(
        {
          method: 'POST',
          path: '/images/load',
          body: new TextEncoder().encode(body),
          now: new Date(Date.UTC(2016, 6, 9, 3, 40, 6)),
        },
        {
          'x-hyper-date': '20160709T034006Z',
          'x-hyper-content-sha256': '9bdf7beca75cb687af34a54dc83e694532ebf739d65861205a29057676739f7e',
          authorization:
            'HYPER-HMAC-SHA256 Credential=5O4KAD63BNZBF9KON6BVP655/20160709/us-west-1/hyper/hyper_request, SignedHeaders=content-type;host;x-hyper-content-sha256;x-hyper-date, Signature=2e90b01cd531a2189f3253d2312f4fc94bc9612fcc039c36513352261ca997f6',
        },
      ),
    );
    expect(result).toMatchObject({ verified: true });
  });

  it('accepts the host with :443, which the Go rule strips', () => {
    expect(verifyHyperSignature(v1({}, { host: 'us-west-1.hyper.sh:443' }))).toMatchObject({
      verified: true,
      hostRule: 'exact',
    });
  });

  it('accepts a host whose other port the client did not sign, as Python clients did, and says so', () => {
    expect(verifyHyperSignature(v1({}, { host: 'us-west-1.hyper.sh:8443' }))).toMatchObject({
      verified: true,
      hostRule: 'port-stripped',
    });
  });

  it.each([
    ['another path', v1({ path: '/info' }), 'signature-mismatch'],
    ['an added query', v1({ query: 'a=1' }), 'signature-mismatch'],
    ['another method', v1({ method: 'POST' }), 'signature-mismatch'],
    ['another content type', v1({}, { 'content-type': 'text/plain' }), 'signature-mismatch'],
    ['another server region', v1({ region: 'eu-central-1' }), 'signature-mismatch'],
    ['a body that does not match its hash', v1({ body: new TextEncoder().encode('x') }), 'payload-mismatch'],
    ['a date 6 minutes old', v1({ now: new Date(Date.UTC(2016, 5, 14, 10, 8, 22)) }), 'expired'],
    ['a date 6 minutes ahead', v1({ now: new Date(Date.UTC(2016, 5, 14, 9, 56, 20)) }), 'future-date'],
    ['an unknown access key', v1({ secretFor: () => undefined }), 'unknown-access-key'],
    ['no Authorization', v1({}, { authorization: '' }), 'missing-authorization'],
    [
      'another algorithm',
      v1({}, { authorization: V1_AUTHORIZATION.replace('HYPER-HMAC-SHA256', 'AWS4-HMAC-SHA256') }),
      'malformed-authorization',
    ],
    [
      'a signed-headers list without host',
      v1({}, { authorization: V1_AUTHORIZATION.replace('content-type;host;', 'content-type;') }),
      'missing-signed-header',
    ],
    ['an unparseable date', v1({}, { 'x-hyper-date': '2016-06-14T10:02:21Z' }), 'bad-date'],
  ] as const)('rejects %s', (_case, input, failure) => {
    expect(verifyHyperSignature(input)).toMatchObject({
      verified: false,
      failure,
      message: expect.stringMatching(/^Unauthorized: /),
    });
  });

  it('lets a future date through when told to, like the Go check', () => {
    expect(
      verifyHyperSignature(v1({ now: new Date(Date.UTC(2016, 5, 14, 9, 56, 20)), rejectFutureDates: false })),
    ).toMatchObject({
      verified: true,
    });
  });
});
