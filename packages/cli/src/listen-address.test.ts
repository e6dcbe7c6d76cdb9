import { describe, expect, it } from 'vitest';
import { UsageError } from './cli-errors.js';
import { formatHostPort, parseHostPort } from './listen-address.js';

describe('parseHostPort', () => {
  it.each([
    ['172.17.0.1', { host: '172.17.0.1', port: undefined }],
    ['172.17.0.1:9989', { host: '172.17.0.1', port: 9989 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9989', { host: '::1', port: 9989 }],
    ['[fd00::1]', { host: 'fd00::1', port: undefined }],
    ['fd00::1', { host: 'fd00::1', port: undefined }],
  ])('reads %s', (text, expected) => {
    expect(parseHostPort(text, '--master')).toEqual(expected);
  });

  it.each(['', ':9989', 'host:port', 'host:70000', '[::1]:x'])('refuses %j with a usage error', (text) => {
    expect(() => parseHostPort(text, '--master')).toThrow(UsageError);
  });

  it('formats IPv6 hosts in brackets', () => {
    expect(formatHostPort('::1', 9989)).toBe('[::1]:9989');
    expect(formatHostPort('172.17.0.1', 9989)).toBe('172.17.0.1:9989');
  });
});
