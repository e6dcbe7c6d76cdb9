import { describe, expect, it } from 'vitest';
import { createDockerProvider } from './docker-provider.js';
import { InvalidHostConfigValueError, UnknownHostConfigKeyError } from './errors.js';
import { convertPortBindings, hasInitSetting, toEngineHostConfig } from './host-config.js';

describe('toEngineHostConfig', () => {
  it("maps docker-py's create_host_config keywords to Engine API HostConfig fields", () => {
    expect(
      toEngineHostConfig({
        network_mode: 'none',
        dns: ['1.1.1.1', '1.2.3.4'],
        dns_search: 'example.org',
        privileged: true,
        shm_size: '64m',
        init: false,
        mem_limit: '512m',
        memswap_limit: 1073741824,
        cpu_shares: 512,
        cpu_period: 100000,
        cpu_quota: 50000,
        cpuset_cpus: '0',
        nano_cpus: 500000000,
        cap_add: ['NET_ADMIN'],
        cap_drop: ['MKNOD'],
        extra_hosts: { 'master.example': '172.17.0.1' },
        read_only: true,
        pids_limit: 100,
        sysctls: { 'net.ipv4.ip_forward': 1 },
        tmpfs: ['/run:size=1m'],
        ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }],
        log_config: { type: 'json-file', config: { 'max-size': '1m' } },
        restart_policy: { Name: 'no' },
        security_opt: ['no-new-privileges'],
        devices: ['/dev/null:/dev/x:rw'],
        group_add: [1000],
        auto_remove: false,
        oom_score_adj: 10,
      }),
    ).toEqual({
      NetworkMode: 'none',
      Dns: ['1.1.1.1', '1.2.3.4'],
      DnsSearch: ['example.org'],
      Privileged: true,
      ShmSize: 64 * 1024 * 1024,
      Init: false,
      Memory: 512 * 1024 * 1024,
      MemorySwap: 1073741824,
      CpuShares: 512,
      CpuPeriod: 100000,
      CpuQuota: 50000,
      CpusetCpus: '0',
      NanoCpus: 500000000,
      CapAdd: ['NET_ADMIN'],
      CapDrop: ['MKNOD'],
      ExtraHosts: ['master.example:172.17.0.1'],
      ReadonlyRootfs: true,
      PidsLimit: 100,
      Sysctls: { 'net.ipv4.ip_forward': '1' },
      Tmpfs: { '/run': 'size=1m' },
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      SecurityOpt: ['no-new-privileges'],
      Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'rw' }],
      GroupAdd: ['1000'],
      AutoRemove: false,
      OomScoreAdj: 10,
    });
  });

  it('converts binds given as a mapping like docker-py', () => {
    expect(toEngineHostConfig({ binds: { '/srv': { bind: '/data', mode: 'ro' }, '/tmp': '/scratch' } })).toEqual({
      Binds: ['/srv:/data:ro', '/tmp:/scratch:rw'],
    });
  });

  it('converts port bindings: plain ports, [ip, port] pairs, lists and null', () => {
    expect(convertPortBindings({ 80: 8080, '53/udp': ['127.0.0.1', 5353], 443: [8443, 9443], 22: null })).toEqual({
      '80/tcp': [{ HostIp: '', HostPort: '8080' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
      '443/tcp': [
        { HostIp: '', HostPort: '8443' },
        { HostIp: '', HostPort: '9443' },
      ],
      '22/tcp': [{ HostIp: '', HostPort: '' }],
    });
  });

  it('accepts Engine API field names as they are', () => {
    expect(toEngineHostConfig({ NetworkMode: 'host', ShmSize: 1024 })).toEqual({ NetworkMode: 'host', ShmSize: 1024 });
  });

  it('drops None/undefined values as docker-py does', () => {
    expect(toEngineHostConfig({ network_mode: null, dns: undefined })).toEqual({});
  });

  it('names every unknown key in a typed configuration error, with a hint for camelCase', () => {
    let error: unknown;
    try {
      toEngineHostConfig({ networkMode: 'x', frobnicate: 1, dns: [] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnknownHostConfigKeyError);
    expect((error as UnknownHostConfigKeyError).keys).toEqual(['networkMode', 'frobnicate']);
    expect((error as Error).message).toContain('"networkMode" (did you mean "network_mode"?)');
    expect((error as Error).message).toContain('"frobnicate"');
    expect((error as UnknownHostConfigKeyError).code).toBe('CONFIGURATION_ERROR');
  });

  it('rejects a size without a known unit and values of the wrong type', () => {
    expect(() => toEngineHostConfig({ mem_limit: '12x' })).toThrow(InvalidHostConfigValueError);
    expect(() => toEngineHostConfig({ mem_limit: '12x' })).toThrow(/hostconfig\.mem_limit must be/);
    expect(() => toEngineHostConfig({ privileged: 'yes' })).toThrow(/hostconfig\.privileged must be true or false/);
    expect(() => toEngineHostConfig({ shm_size: 'big' }, true)).toThrow(
      expect.objectContaining({ key: 'shm_size', retryable: true, code: 'CONFIGURATION_ERROR' }),
    );
  });

  it('explains keys the engine dropped long ago', () => {
    expect(() => toEngineHostConfig({ lxc_conf: {} })).toThrow(/LXC is not supported/);
  });
});

describe('defect 3 (#23): hostconfig keys named like Object.prototype members', () => {
  const prototypeKeys = [
    JSON.parse('{"__proto__": {"privileged": true}}') as Record<string, unknown>,
    { constructor: 1 },
    { hasOwnProperty: true },
    { toString: 'x' },
    { valueOf: 2 },
  ];

  it('are unknown keys (a typed ConfigurationError), never a TypeError or silently ignored', () => {
    for (const hostconfig of prototypeKeys) {
      const key = Object.keys(hostconfig)[0];
      expect(() => toEngineHostConfig(hostconfig)).toThrow(UnknownHostConfigKeyError);
      expect(() => toEngineHostConfig(hostconfig)).toThrow(`"${key}"`);
    }
  });

  it('are refused when the provider is created', () => {
    for (const hostconfig of prototypeKeys) {
      expect(() => createDockerProvider({ image: 'busybox:latest', hostconfig })).toThrow(UnknownHostConfigKeyError);
    }
  });

  it('an own "init" decides the default init, an inherited one does not', () => {
    expect(hasInitSetting(Object.create({ init: false }) as Record<string, unknown>)).toBe(false);
    expect(hasInitSetting({ init: false })).toBe(true);
  });

  it('an unknown settings key named like a prototype member gets no bogus "write …" hint', () => {
    expect(() => createDockerProvider({ image: 'busybox:latest', constructor: 1 } as never)).toThrow(
      /unknown Docker provider setting: constructor\. Known settings/,
    );
  });
});
