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

describe("defect 6 (#23): --master and --observe follow core's masterFQDN rules", () => {
  it.each(['[::1', 'http://x:80', 'a:b:c', 'host name:80', '2001:db8::1:9989'])(
    'refuses %j with a usage error whose advice is itself valid',
    (text) => {
      let message = '';
      try {
        parseHostPort(text, '--master');
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        message = (error as Error).message;
      }
      expect(message).toMatch(/^--master /);
      // Every address the message suggests parses.
      const suggested = [...message.matchAll(/(?:e\.g\. |or |Write )(\S+?)(?:[;,]|$| )/g)].map(
        (match) => match[1] ?? '',
      );
      expect(suggested.length).toBeGreaterThan(0);
      for (const address of suggested) expect(() => parseHostPort(address, '--master')).not.toThrow();
    },
  );

  it('keeps port 0 (a free port) for listening, also with IPv6', () => {
    expect(parseHostPort('[::1]:0', '--master')).toEqual({ host: '::1', port: 0 });
    expect(parseHostPort('127.0.0.1:0', '--observe')).toEqual({ host: '127.0.0.1', port: 0 });
  });
});
