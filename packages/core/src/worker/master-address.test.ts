import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { parseMasterAddress, resolveDefaultMasterHost } from './index.js';

describe('parseMasterAddress (reference §6)', () => {
  const valid: [string, { host: string; port?: number }][] = [
    ['master.example.com', { host: 'master.example.com' }],
    ['master', { host: 'master' }],
    ['0.tcp.ngrok.io:17994', { host: '0.tcp.ngrok.io', port: 17994 }],
    ['10.0.0.5:9989', { host: '10.0.0.5', port: 9989 }],
    ['[::1]', { host: '::1' }],
    ['[::1]:9989', { host: '::1', port: 9989 }],
    ['[2001:db8::1]:9989', { host: '2001:db8::1', port: 9989 }],
    ['[fe80::1%eth0]:1', { host: 'fe80::1%eth0', port: 1 }],
    ['::1', { host: '::1' }],
    ['2001:db8::1', { host: '2001:db8::1' }],
    ['2001:db8::ff', { host: '2001:db8::ff' }],
    ['::ffff:192.0.2.1', { host: '::ffff:192.0.2.1' }],
    ['host:65535', { host: 'host', port: 65535 }],
    ['host:09989', { host: 'host', port: 9989 }],
  ];
  for (const [input, expected] of valid) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      expect(parseMasterAddress(input)).toEqual(expected);
    });
  }

  // Buildbot: BUILDMASTER_PORT="abc" / "" / BUILDMASTER="" and a crash for IPv6; latentci refuses them.
  const invalid: [string, RegExp][] = [
    ['', /the host is empty/],
    [':9989', /the host is empty/],
    ['host:', /invalid port ""/],
    ['host:abc', /invalid port "abc"/],
    ['host:0', /invalid port "0"/],
    ['host:65536', /invalid port "65536"/],
    ['host:-1', /invalid port "-1"/],
    ['host:+80', /invalid port "\+80"/],
    ['host: 80', /invalid port " 80"/],
    ['[]:9989', /the host is empty/],
    ['[::1', /missing '\]'/],
    ['[::1]x', /unexpected "x" after '\]'/],
    ['[::1]:', /invalid port ""/],
    ['[master]:9989', /not an IPv6 address/],
    ['2001:db8::1:9989', /ambiguous/],
    ['::1:2', /ambiguous/],
    ['a:b:c', /several ':' but is not an IPv6 address/],
    ['my host', /not a valid host name/],
    ['host/path:80', /not a valid host name/],
    ['user@host', /not a valid host name/],
  ];
  for (const [input, message] of invalid) {
    it(`${JSON.stringify(input)} is a ConfigurationError naming the input`, () => {
      let thrown: unknown;
      try {
        parseMasterAddress(input);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigurationError);
      expect((thrown as Error).message).toContain(JSON.stringify(input));
      expect((thrown as Error).message).toMatch(message);
    });
  }

  it('the ambiguous error says how to write both readings', () => {
    expect(() => parseMasterAddress('2001:db8::1:9989')).toThrow(/Write \[2001:db8::1:9989\] or \[2001:db8::1\]:9989/);
  });

  it('a non-string is a ConfigurationError', () => {
    expect(() => parseMasterAddress(undefined as unknown as string)).toThrow(ConfigurationError);
  });

  it('fast-check: any input parses to a host (and a valid port) or throws ConfigurationError', () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom(':', '[', ']', '::', '1', '9989', '65536', 'db8', 'host', '.', '%eth0', ' '),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), (parts) => {
        const input = parts.join('');
        try {
          const address = parseMasterAddress(input);
          expect(address.host.length).toBeGreaterThan(0);
          if (address.port !== undefined) {
            expect(Number.isInteger(address.port) && address.port >= 1 && address.port <= 65535).toBe(true);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigurationError);
        }
      }),
      { numRuns: 5000, seed: 6 },
    );
  });

  it('fast-check: host:port round-trips for host names and ports', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));
    fc.assert(
      fc.property(host, fc.integer({ min: 1, max: 65535 }), (name, port) => {
        expect(parseMasterAddress(`${name}:${port}`)).toEqual({ host: name, port });
        expect(parseMasterAddress(name)).toEqual({ host: name });
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});

describe('resolveDefaultMasterHost (Python socket.getfqdn)', () => {
  it('returns the canonical name found by the reverse lookup of the host’s address', async () => {
    const host = await resolveDefaultMasterHost({
      hostname: 'ci1',
      lookup: async (name) => (name === 'ci1' ? '192.0.2.7' : '0.0.0.0'),
      reverse: async (address) => (address === '192.0.2.7' ? 'ci1.example.com' : 'other'),
    });
    expect(host).toBe('ci1.example.com');
  });

  it('falls back to the host name when a lookup fails', async () => {
    const failing = async (): Promise<string> => {
      throw new Error('ENOTFOUND');
    };
    expect(await resolveDefaultMasterHost({ hostname: 'ci1', lookup: failing })).toBe('ci1');
    expect(await resolveDefaultMasterHost({ hostname: 'ci1', lookup: async () => '192.0.2.7', reverse: failing })).toBe(
      'ci1',
    );
  });

  it('falls back to the host name when the reverse lookup only echoes the address', async () => {
    expect(
      await resolveDefaultMasterHost({ hostname: 'ci1', lookup: async () => '192.0.2.7', reverse: async (a) => a }),
    ).toBe('ci1');
  });

  it('falls back to the host name when DNS does not answer in time', async () => {
    const never = () => new Promise<string>(() => {});
    expect(await resolveDefaultMasterHost({ hostname: 'ci1', lookup: never, timeoutMs: 20 })).toBe('ci1');
  });

  it('resolves this machine to a usable masterFQDN', async () => {
    const host = await resolveDefaultMasterHost();
    expect(host.length).toBeGreaterThan(0);
    expect(parseMasterAddress(host).host).toBe(host);
  });
});
