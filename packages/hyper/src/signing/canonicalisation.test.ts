import { describe, expect, it } from 'vitest';
import { canonicalHeaders, canonicalHost, hostWithoutPort } from './canonical-headers.js';
import { canonicalQuery } from './canonical-query.js';
import { canonicalUri } from './canonical-uri.js';
import { formatHyperDate, parseHyperDate } from './hyper-date.js';
import { regionForHost } from './region.js';

describe('canonical URI', () => {
  it('drops the leading slash', () => {
    expect(canonicalUri('/v1.23/containers/create')).toBe('v1.23/containers/create');
  });
  it('drops the trailing slash and collapses empty segments', () => {
    expect(canonicalUri('//v1.23//containers/abc/json/')).toBe('v1.23/containers/abc/json');
  });
  it('is empty for the root path', () => {
    expect(canonicalUri('/')).toBe('');
    expect(canonicalUri('')).toBe('');
  });
  it('decodes the path first and re-encodes each segment with upper-case hex', () => {
    expect(canonicalUri('/a%20b/c%2a')).toBe('a%20b/c%2A');
    expect(canonicalUri('/caf%C3%A9')).toBe('caf%C3%A9');
  });
  it('encodes everything outside A-Za-z0-9-_.~', () => {
    expect(canonicalUri("/a!b'c(d)e*f:g@h$i+j,k;l=m")).toBe('a%21b%27c%28d%29e%2Af%3Ag%40h%24i%2Bj%2Ck%3Bl%3Dm');
    expect(canonicalUri('/A-z_0.9~')).toBe('A-z_0.9~');
  });
  it('treats an encoded slash as a separator, like the decoded Go path', () => {
    expect(canonicalUri('/a%2Fb')).toBe('a/b');
  });
});

describe('canonical query', () => {
  it('is empty without a query', () => {
    expect(canonicalQuery('')).toBe('');
  });
  it('sorts by key', () => {
    expect(canonicalQuery('t=10&all=1&filters=x')).toBe('all=1&filters=x&t=10');
  });
  it('keeps the order of repeated keys values as sent', () => {
    expect(canonicalQuery('b=2&a=z&a=y&a=x')).toBe('a=z&a=y&a=x&b=2');
  });
  it('sorts by key only, so a-b comes after a (unlike sorting whole k=v strings)', () => {
    expect(canonicalQuery('a-b=1&a=2')).toBe('a=2&a-b=1');
  });
  it('writes a parameter without = as key=', () => {
    expect(canonicalQuery('flag&x=1')).toBe('flag=&x=1');
  });
  it('decodes + and %20 to a space and writes it as %20', () => {
    expect(canonicalQuery('q=a+b&r=c%20d')).toBe('q=a%20b&r=c%20d');
  });
  it('percent-encodes keys and values with upper-case hex, keeping only A-Za-z0-9-_.~', () => {
    expect(canonicalQuery('filters={"name":["x"]}')).toBe('filters=%7B%22name%22%3A%5B%22x%22%5D%7D');
    expect(canonicalQuery('filters=%7b%22name%22%7d')).toBe('filters=%7B%22name%22%7D');
    expect(canonicalQuery('plus=%2B&tilde=~')).toBe('plus=%2B&tilde=~');
  });
  it('accepts a leading ?', () => {
    expect(canonicalQuery('?b=1&a=2')).toBe('a=2&b=1');
  });
  it('skips pairs with a malformed escape and empty pairs', () => {
    expect(canonicalQuery('a=%zz&&b=1')).toBe('b=1');
  });
});

describe('canonical headers', () => {
  it('lower-cases and sorts the names, trims the values, and ends each line with a newline', () => {
    const { lines, signedHeaders } = canonicalHeaders(
      new Map([
        ['X-Hyper-Date', ' 20200101T000000Z '],
        ['Host', 'h.example'],
        ['Content-Type', 'application/json'],
      ]),
    );
    expect(lines).toBe('content-type:application/json\nhost:h.example\nx-hyper-date:20200101T000000Z\n');
    expect(signedHeaders).toBe('content-type;host;x-hyper-date');
  });
});

describe('host rule', () => {
  it('drops :80 and :443 and keeps any other port', () => {
    expect(canonicalHost('us-west-1.hyper.sh:443')).toBe('us-west-1.hyper.sh');
    expect(canonicalHost('127.0.0.1:80')).toBe('127.0.0.1');
    expect(canonicalHost('127.0.0.1:8443')).toBe('127.0.0.1:8443');
    expect(canonicalHost('127.0.0.1:4430')).toBe('127.0.0.1:4430');
    expect(canonicalHost('us-west-1.hyper.sh')).toBe('us-west-1.hyper.sh');
  });
  it('the lenient form drops any port, as the Python signer did', () => {
    expect(hostWithoutPort('127.0.0.1:8443')).toBe('127.0.0.1');
    expect(hostWithoutPort('[::1]:8443')).toBe('[::1]');
  });
});

describe('region', () => {
  it('comes from a <region>.hyper.sh host, whatever is configured', () => {
    expect(regionForHost('eu-central-1.hyper.sh:443', 'us-west-1')).toBe('eu-central-1');
  });
  it('is the configured one for other hosts, us-west-1 by default', () => {
    expect(regionForHost('127.0.0.1:1234', 'eu-central-1')).toBe('eu-central-1');
    expect(regionForHost('127.0.0.1:1234')).toBe('us-west-1');
  });
});

describe('X-Hyper-Date', () => {
  it('is YYYYMMDDTHHMMSSZ in UTC', () => {
    expect(formatHyperDate(new Date(Date.UTC(2016, 5, 14, 10, 2, 21, 999)))).toBe('20160614T100221Z');
  });
  it('parses back, and refuses other layouts and impossible dates', () => {
    expect(parseHyperDate('20160614T100221Z')?.getTime()).toBe(Date.UTC(2016, 5, 14, 10, 2, 21));
    expect(parseHyperDate('2016-06-14T10:02:21Z')).toBeUndefined();
    expect(parseHyperDate('20160231T100221Z')).toBeUndefined();
  });
});
