import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { containerName, generateWorkerPassword, masterHash, parseMasterAddress, workerEnvironment } from './index.js';

describe('workerEnvironment (reference §2.9, §6)', () => {
  const base = { masterPort: 9989, workerName: 'bot', password: 'pass' } as const;

  it('builds the five variables in Buildbot’s order, protocol pb by default (M7 env defaults)', () => {
    const environment = workerEnvironment({ ...base, master: { host: 'master.example.com' } });
    expect(environment).toEqual({
      BUILDMASTER: 'master.example.com',
      BUILDMASTER_PORT: '9989',
      BUILDMASTER_PROTOCOL: 'pb',
      WORKERNAME: 'bot',
      WORKERPASS: 'pass',
    });
    expect(Object.keys(environment)).toEqual([
      'BUILDMASTER',
      'BUILDMASTER_PORT',
      'BUILDMASTER_PROTOCOL',
      'WORKERNAME',
      'WORKERPASS',
    ]);
  });

  it('the port of masterFQDN overrides the master port (§6 step 2)', () => {
    const environment = workerEnvironment({ ...base, master: parseMasterAddress('0.tcp.ngrok.io:17994') });
    expect(environment.BUILDMASTER).toBe('0.tcp.ngrok.io');
    expect(environment.BUILDMASTER_PORT).toBe('17994');
  });

  it('without a port in masterFQDN the master port is used', () => {
    expect(workerEnvironment({ ...base, masterPort: 1234, master: { host: 'm' } }).BUILDMASTER_PORT).toBe('1234');
  });

  it('an IPv6 master is given without brackets', () => {
    const environment = workerEnvironment({ ...base, master: parseMasterAddress('[2001:db8::1]:9990') });
    expect(environment.BUILDMASTER).toBe('2001:db8::1');
    expect(environment.BUILDMASTER_PORT).toBe('9990');
  });

  it('passes master_protocol through (4.2.0+)', () => {
    const environment = workerEnvironment({
      ...base,
      master: { host: 'm' },
      masterProtocol: 'msgpack_experimental_v7',
    });
    expect(environment.BUILDMASTER_PROTOCOL).toBe('msgpack_experimental_v7');
    expect(workerEnvironment({ ...base, master: { host: 'm' }, masterProtocol: undefined }).BUILDMASTER_PROTOCOL).toBe(
      'pb',
    );
  });

  it('refuses invalid values with ConfigurationError, never showing the password', () => {
    expect(() => workerEnvironment({ ...base, master: { host: '' } })).toThrow(ConfigurationError);
    expect(() => workerEnvironment({ ...base, masterPort: 0, master: { host: 'm' } })).toThrow(ConfigurationError);
    expect(() => workerEnvironment({ ...base, masterPort: 70000, master: { host: 'm' } })).toThrow(/1 to 65535/);
    expect(() => workerEnvironment({ ...base, workerName: '', master: { host: 'm' } })).toThrow(/worker name/);
    expect(() => workerEnvironment({ ...base, masterProtocol: '', master: { host: 'm' } })).toThrow(/protocol/);
    try {
      workerEnvironment({ ...base, password: 'hunter2\u0000', master: { host: 'm' } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});

describe('generateWorkerPassword (reference §1.15)', () => {
  it('D08 test_constructor_nopassword: 20 characters of [A-Za-z0-9]', () => {
    for (let index = 0; index < 200; index += 1) expect(generateWorkerPassword()).toMatch(/^[A-Za-z0-9]{20}$/);
  });

  it('is different every time', () => {
    const passwords = new Set(Array.from({ length: 1000 }, generateWorkerPassword));
    expect(passwords.size).toBe(1000);
  });

  it('draws every character about equally often (chi-square over 62 letters)', () => {
    const counts = new Map<string, number>();
    const samples = 4000;
    for (let index = 0; index < samples; index += 1) {
      for (const character of generateWorkerPassword()) counts.set(character, (counts.get(character) ?? 0) + 1);
    }
    expect(counts.size).toBe(62);
    const expected = (samples * 20) / 62;
    let chiSquare = 0;
    for (const count of counts.values()) chiSquare += (count - expected) ** 2 / expected;
    // 61 degrees of freedom: p = 1e-6 is at about 130; a modulo bias (256 % 62) would push far beyond.
    expect(chiSquare).toBeLessThan(130);
  });
});

describe('masterHash and containerName (reference §2.8)', () => {
  it('the test master fake:/master hashes to 87de7e', () => {
    expect(masterHash('fake:/master')).toBe('87de7e');
  });

  it('hashes UTF-8', () => {
    expect(masterHash('é')).toMatch(/^[0-9a-f]{6}$/);
    expect(masterHash('é')).not.toBe(masterHash('e'));
  });

  it('D07 test_contruction_minimal_docker: worker bot → buildbot-bot-87de7e', () => {
    expect(containerName('bot', masterHash('fake:/master'))).toBe('buildbot-bot-87de7e');
  });

  it('replaces every _ with -', () => {
    expect(containerName('my_worker_1', '87de7e')).toBe('buildbot-my-worker-1-87de7e');
  });
});
