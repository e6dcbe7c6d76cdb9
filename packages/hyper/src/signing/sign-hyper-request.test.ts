import { describe, expect, it } from 'vitest';
import { canonicalHost } from './canonical-headers.js';
import { canonicalRequest, credentialScope, stringToSign } from './canonical-request.js';
import { canonicalUri } from './canonical-uri.js';
import { signHyperRequest } from './sign-hyper-request.js';
import { sha256Hex, signature, signingKey } from './signing-key.js';

const EMPTY_HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SIGNED = 'content-type;host;x-hyper-content-sha256;x-hyper-date';

describe('signHyperRequest reproduces the published vectors', () => {
  it('V1 hyper-aws4 GET /version', () => {
    const headers = signHyperRequest({
      method: 'GET',
      url: 'https://us-west-1.hyper.sh/version',
      accessKey: '5O4KAD63BNZBF9KON6BVP655',
      secretKey: '4XrYLX30vmVsWz3w3orGrtymaXYaQ93SBPOmKowM',
      headers: { 'X-Hyper-Date': '20160614T100221Z' },
    });
    expect(headers).toEqual({
      'X-Hyper-Date': '20160614T100221Z',
      'X-Hyper-Content-Sha256': EMPTY_HASH,
      'Content-Type': 'application/json',
      Authorization: `HYPER-HMAC-SHA256 Credential=5O4KAD63BNZBF9KON6BVP655/20160614/us-west-1/hyper/hyper_request, SignedHeaders=${SIGNED}, Signature=54a3cce3b25f6efc6a0da17ac0bf3039d5281684a8a8ee082d180819ac02fb6a`,
    });
  });

  it('V1 canonical request, its hash and the signing key match the published intermediate values', () => {
    const canonical = canonicalRequest({
      method: 'GET',
      path: '/version',
      query: '',
      headers: new Map([
        ['content-type', 'application/json'],
        ['host', 'us-west-1.hyper.sh'],
        ['x-hyper-content-sha256', EMPTY_HASH],
        ['x-hyper-date', '20160614T100221Z'],
      ]),
      payloadHash: EMPTY_HASH,
    });
    expect(canonical.text).toBe(
      `GET\nversion\n\ncontent-type:application/json\nhost:us-west-1.hyper.sh\nx-hyper-content-sha256:${EMPTY_HASH}\nx-hyper-date:20160614T100221Z\n\n${SIGNED}\n${EMPTY_HASH}`,
    );
    expect(sha256Hex(canonical.text)).toBe('861c2f7e166e6f3bbf699d5c890076ea09340ab40bf779eb2d5709f9c2cef063');
    expect(signingKey('4XrYLX30vmVsWz3w3orGrtymaXYaQ93SBPOmKowM', '20160614', 'us-west-1').toString('hex')).toBe(
      '217318c0fae2670c0aebb425eeada7eab7ebb68bb3f224429c9ba6d5df17343a',
    );
  });

  it('V2 hyper-aws4 POST /images/load with a JSON body', () => {
    const body = '{"fromSrc":"http://image-tarball.s3.amazonaws.com/test/public/helloworld.tar.gz","quiet":false}';
    const headers = signHyperRequest({
      method: 'POST',
      url: 'https://us-west-1.hyper.sh/images/load',
      accessKey: '5O4KAD63BNZBF9KON6BVP655',
      secretKey: '4XrYLX30vmVsWz3w3orGrtymaXYaQ93SBPOmKowM',
      headers: { 'Content-Type': 'application/json' },
      body,
      date: new Date(Date.UTC(2016, 6, 9, 3, 40, 6)),
    });
    expect(headers['X-Hyper-Content-Sha256']).toBe('9bdf7beca75cb687af34a54dc83e694532ebf739d65861205a29057676739f7e');
    expect(headers['X-Hyper-Date']).toBe('20160709T034006Z');
    expect(headers.Authorization).toBe(
      `HYPER-HMAC-SHA256 Credential=5O4KAD63BNZBF9KON6BVP655/20160709/us-west-1/hyper/hyper_request, SignedHeaders=${SIGNED}, Signature=2e90b01cd531a2189f3253d2312f4fc94bc9612fcc039c36513352261ca997f6`,
    );
    expect(signingKey('4XrYLX30vmVsWz3w3orGrtymaXYaQ93SBPOmKowM', '20160709', 'us-west-1').toString('hex')).toBe(
      '34409c3109af4f98bba00d28c361877443070e94695163e923267eb94fd02862',
    );
  });

  it('V3 hyperb GET /v1.23/: key, string to sign and signature match from its published canonical request', () => {
    // hyperb keeps the trailing slash (`v1.23/`); the Go rule drops it, so the vector is checked from its
    // published canonical request onward, and the Go rule is checked on its own below.
    const published = `GET\nv1.23/\n\ncontent-type:application/json\nhost:us-west-1.hyper.sh\nx-hyper-content-sha256:${EMPTY_HASH}\nx-hyper-date:20170729T230845Z\n\n${SIGNED}\n${EMPTY_HASH}`;
    expect(sha256Hex(published)).toBe('f75ade20f549b290beadaec0bf7ffd637d8effd617334c03019d212f56600620');
    const scope = credentialScope('20170729T230845Z', 'us-west-1');
    expect(scope).toBe('20170729/us-west-1/hyper/hyper_request');
    const toSign = stringToSign('20170729T230845Z', scope, published);
    expect(toSign).toBe(
      'HYPER-HMAC-SHA256\n20170729T230845Z\n20170729/us-west-1/hyper/hyper_request\nf75ade20f549b290beadaec0bf7ffd637d8effd617334c03019d212f56600620',
    );
    const key = signingKey('sk', '20170729', 'us-west-1');
    expect(key.toString('hex')).toBe('c981cdfdbad4d8c4486224c4f22845b7724337882c4311042842b41b4e50a58e');
    expect(signature(key, toSign)).toBe('3a923718db713abc7b851712a434343eb7887298ab5f48113a7b291f261c037a');
  });

  it('V3 under the Go rule: the trailing slash of /v1.23/ is dropped, so the signature differs from hyperb', () => {
    expect(canonicalUri('/v1.23/')).toBe('v1.23');
    const headers = signHyperRequest({
      method: 'GET',
      url: 'https://us-west-1.hyper.sh/v1.23/',
      accessKey: 'ak',
      secretKey: 'sk',
      date: new Date(Date.UTC(2017, 6, 29, 23, 8, 45)),
    });
    expect(headers.Authorization).toContain('Credential=ak/20170729/us-west-1/hyper/hyper_request');
    expect(headers.Authorization).not.toContain('3a923718db713abc7b851712a434343eb7887298ab5f48113a7b291f261c037a');
  });
});

describe('signHyperRequest', () => {
  const base = { accessKey: 'ak', secretKey: 'secret-key-value', date: new Date(Date.UTC(2020, 0, 2, 3, 4, 5)) };

  it('takes the region from a <region>.hyper.sh host', () => {
    const headers = signHyperRequest({ ...base, method: 'GET', url: 'https://eu-central-1.hyper.sh/v1.23/version' });
    expect(headers.Authorization).toContain('Credential=ak/20200102/eu-central-1/hyper/hyper_request');
  });

  it('uses the configured region for other hosts, and us-west-1 by default', () => {
    const configured = signHyperRequest({
      ...base,
      method: 'GET',
      url: 'http://127.0.0.1:8080/',
      region: 'eu-central-1',
    });
    expect(configured.Authorization).toContain('/20200102/eu-central-1/hyper/hyper_request');
    const fallback = signHyperRequest({ ...base, method: 'GET', url: 'http://127.0.0.1:8080/' });
    expect(fallback.Authorization).toContain('/20200102/us-west-1/hyper/hyper_request');
  });

  it('signs the exact body bytes and defaults Content-Type to application/json', () => {
    const body = new TextEncoder().encode('{"Image":"busybox"}');
    const headers = signHyperRequest({
      ...base,
      method: 'POST',
      url: 'https://us-west-1.hyper.sh/v1.23/containers/create',
      body,
    });
    expect(headers['X-Hyper-Content-Sha256']).toBe(sha256Hex('{"Image":"busybox"}'));
    expect(headers['Content-Type']).toBe('application/json');
  });

  it('signs a Content-Type given by the caller as given', () => {
    const plain = signHyperRequest({
      ...base,
      method: 'POST',
      url: 'https://h.example/x',
      headers: { 'content-type': 'text/plain' },
    });
    const json = signHyperRequest({ ...base, method: 'POST', url: 'https://h.example/x' });
    expect(plain['Content-Type']).toBe('text/plain');
    expect(plain.Authorization).not.toBe(json.Authorization);
  });

  it('signs extra X-Hyper-* headers and Content-Md5 too', () => {
    const headers = signHyperRequest({
      ...base,
      method: 'GET',
      url: 'https://h.example/x',
      headers: { 'X-Hyper-Client': 'latentci', 'Content-MD5': 'abc' },
    });
    expect(headers.Authorization).toContain(
      'SignedHeaders=content-md5;content-type;host;x-hyper-client;x-hyper-content-sha256;x-hyper-date,',
    );
  });

  it('signs the same request identically whether the URL has :443 or not, and differently with another port', () => {
    const plain = signHyperRequest({ ...base, method: 'GET', url: 'https://us-west-1.hyper.sh/v1.23/version' });
    const explicit = signHyperRequest({ ...base, method: 'GET', url: 'https://us-west-1.hyper.sh:443/v1.23/version' });
    const other = signHyperRequest({ ...base, method: 'GET', url: 'https://us-west-1.hyper.sh:8443/v1.23/version' });
    expect(explicit.Authorization).toBe(plain.Authorization);
    expect(other.Authorization).not.toBe(plain.Authorization);
    expect(canonicalHost('us-west-1.hyper.sh:80')).toBe('us-west-1.hyper.sh');
  });

  it('never puts the secret key in the headers it returns', () => {
    const headers = signHyperRequest({ ...base, method: 'GET', url: 'https://h.example/' });
    expect(JSON.stringify(headers)).not.toContain(base.secretKey);
  });
});
