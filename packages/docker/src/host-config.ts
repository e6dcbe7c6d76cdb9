import type Dockerode from 'dockerode';
import { parseByteSize } from './byte-size.js';
import { InvalidHostConfigValueError, UnknownHostConfigKeyError } from './errors.js';

type Json = unknown;
type Converter = (value: Json, key: string) => [engineKey: string, engineValue: Json][];

function fail(key: string, expected: string, value: Json): never {
  throw new InvalidHostConfigValueError(
    key,
    `hostconfig.${key} must be ${expected}, got ${JSON.stringify(value)}: fix the value in the worker's hostconfig`,
  );
}

const isPlainObject = (value: Json): value is Record<string, Json> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const bool =
  (engineKey: string): Converter =>
  (value, key) =>
    typeof value === 'boolean' ? [[engineKey, value]] : fail(key, 'true or false', value);

const int =
  (engineKey: string): Converter =>
  (value, key) =>
    typeof value === 'number' && Number.isInteger(value) ? [[engineKey, value]] : fail(key, 'an integer', value);

const text =
  (engineKey: string): Converter =>
  (value, key) =>
    typeof value === 'string' ? [[engineKey, value]] : fail(key, 'a string', value);

const strings =
  (engineKey: string): Converter =>
  (value, key) => {
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string' || typeof item === 'number')) {
      return fail(key, 'a list of strings', value);
    }
    return [[engineKey, list.map(String)]];
  };

const bytes =
  (engineKey: string): Converter =>
  (value, key) => {
    const parsed = typeof value === 'number' || typeof value === 'string' ? parseByteSize(value) : undefined;
    return parsed === undefined
      ? fail(key, 'a byte count or a size with a unit b, k, m or g (e.g. "512m")', value)
      : [[engineKey, parsed]];
  };

const stringMap =
  (engineKey: string): Converter =>
  (value, key) => {
    if (!isPlainObject(value)) return fail(key, 'a mapping of strings', value);
    return [[engineKey, Object.fromEntries(Object.entries(value).map(([name, item]) => [name, String(item)]))]];
  };

/** Linux capabilities Docker knows (`CAP_` prefix optional, any case), and `ALL`. */
const CAPABILITIES = new Set([
  'ALL',
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
]);

const capabilities =
  (engineKey: string): Converter =>
  (value, key) => {
    const converted = strings(engineKey)(value, key);
    const unknown = ((converted[0]?.[1] ?? []) as string[]).filter(
      (name) => !CAPABILITIES.has(name.toUpperCase().replace(/^CAP_/, '')),
    );
    if (unknown.length > 0) {
      return fail(
        key,
        `a list of Linux capabilities (e.g. "NET_ADMIN", "SYS_PTRACE" or "ALL"); unknown: ${unknown.join(', ')}`,
        value,
      );
    }
    return converted;
  };

/** `<port>[-<port>][/tcp|udp|sctp]`, ports 1–65535. */
const CONTAINER_PORT = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/;

function assertContainerPort(port: string, key: string, value: Json): void {
  const match = CONTAINER_PORT.exec(port);
  const numbers = match ? [match[1], match[2]].filter((part) => part !== undefined).map(Number) : [];
  if (!match || numbers.some((number) => number < 1 || number > 65535)) {
    fail(
      key,
      `keyed by container ports such as "80", "80/tcp", "53/udp" or "8000-8010/tcp" (ports 1-65535); bad key ${JSON.stringify(port)}`,
      value,
    );
  }
}

/** `{host: {bind, mode}}` / `{host: container}` / `["src:dst"]` → `["src:dst[:mode]"]` (docker-py `convert_volume_binds`). */
const binds: Converter = (value, key) => {
  if (Array.isArray(value)) return strings('Binds')(value, key);
  if (!isPlainObject(value)) return fail(key, 'a list of "src:dst[:mode]" strings or a mapping', value);
  return [
    [
      'Binds',
      Object.entries(value).map(([source, target]) => {
        if (typeof target === 'string') return `${source}:${target}:rw`;
        if (isPlainObject(target) && typeof target.bind === 'string') {
          const mode = typeof target.mode === 'string' ? target.mode : target.ro === true ? 'ro' : 'rw';
          return `${source}:${target.bind}:${mode}`;
        }
        return fail(key, 'a mapping of host paths to {bind, mode} or to container paths', value);
      }),
    ],
  ];
};

/** docker-py `convert_port_bindings`: `{"80/tcp": 8080 | "8080" | ["127.0.0.1", 8080] | [8080, 8081] | null}`. */
export function convertPortBindings(
  value: Json,
  key = 'port_bindings',
): Record<string, { HostIp: string; HostPort: string }[]> {
  if (!isPlainObject(value)) return fail(key, 'a mapping of container ports to host ports', value);
  const result: Record<string, { HostIp: string; HostPort: string }[]> = {};
  const one = (binding: Json): { HostIp: string; HostPort: string } => {
    if (binding === null || binding === undefined) return { HostIp: '', HostPort: '' };
    if (typeof binding === 'number' || typeof binding === 'string') return { HostIp: '', HostPort: String(binding) };
    if (Array.isArray(binding) && typeof binding[0] === 'string' && binding.length <= 2) {
      return { HostIp: binding[0], HostPort: binding[1] === undefined ? '' : String(binding[1]) };
    }
    if (isPlainObject(binding)) {
      return {
        HostIp: String(binding.HostIp ?? binding.host_ip ?? ''),
        HostPort: String(binding.HostPort ?? binding.host_port ?? ''),
      };
    }
    return fail(key, 'host ports as numbers, strings, [ip, port] pairs or null', value);
  };
  for (const [port, binding] of Object.entries(value)) {
    assertContainerPort(port, key, value);
    const containerPort = port.includes('/') ? port : `${port}/tcp`;
    const list =
      Array.isArray(binding) && !(typeof binding[0] === 'string' && binding.length <= 2) ? binding : [binding];
    result[containerPort] = list.map(one);
  }
  return result;
}

const portBindings: Converter = (value, key) => [['PortBindings', convertPortBindings(value, key)]];

const links: Converter = (value, key) => {
  if (isPlainObject(value))
    return [['Links', Object.entries(value).map(([name, alias]) => `${name}:${String(alias)}`)]];
  if (Array.isArray(value)) {
    return [
      [
        'Links',
        value.map((item) =>
          Array.isArray(item)
            ? `${String(item[0])}:${String(item[1])}`
            : typeof item === 'string'
              ? item
              : fail(key, 'links', value),
        ),
      ],
    ];
  }
  return fail(key, 'a mapping of container names to aliases', value);
};

const extraHosts: Converter = (value, key) => {
  if (isPlainObject(value)) return [['ExtraHosts', Object.entries(value).map(([host, ip]) => `${host}:${String(ip)}`)]];
  return strings('ExtraHosts')(value, key);
};

const volumesFrom: Converter = (value, key) =>
  typeof value === 'string' ? [['VolumesFrom', value.split(',')]] : strings('VolumesFrom')(value, key);

const restartPolicy: Converter = (value, key) => {
  if (typeof value === 'string') return [['RestartPolicy', { Name: value, MaximumRetryCount: 0 }]];
  if (!isPlainObject(value)) return fail(key, '{Name, MaximumRetryCount}', value);
  return [
    [
      'RestartPolicy',
      {
        Name: String(value.Name ?? value.name ?? ''),
        MaximumRetryCount: Number(value.MaximumRetryCount ?? value.maximum_retry_count ?? 0),
      },
    ],
  ];
};

/** docker-py `parse_devices`: `"/dev/x[:/dev/y[:rwm]]"` or an Engine-format mapping. */
const devices: Converter = (value, key) => {
  if (!Array.isArray(value)) return fail(key, 'a list of "host[:container[:permissions]]" strings', value);
  return [
    [
      'Devices',
      value.map((device) => {
        if (isPlainObject(device)) return device;
        if (typeof device !== 'string') return fail(key, 'a list of device strings', value);
        const [host = '', container = host, permissions = 'rwm'] = device.split(':');
        return { PathOnHost: host, PathInContainer: container, CgroupPermissions: permissions };
      }),
    ],
  ];
};

const ulimits: Converter = (value, key) => {
  if (!Array.isArray(value)) return fail(key, 'a list of {name, soft, hard}', value);
  return [
    [
      'Ulimits',
      value.map((limit) => {
        if (!isPlainObject(limit)) return fail(key, 'a list of {name, soft, hard}', value);
        return {
          Name: limit.Name ?? limit.name,
          Soft: limit.Soft ?? limit.soft,
          Hard: limit.Hard ?? limit.hard ?? limit.Soft ?? limit.soft,
        };
      }),
    ],
  ];
};

const logConfig: Converter = (value, key) => {
  if (!isPlainObject(value)) return fail(key, '{type, config}', value);
  return [['LogConfig', { Type: value.Type ?? value.type ?? '', Config: value.Config ?? value.config ?? {} }]];
};

const tmpfs: Converter = (value, key) => {
  if (isPlainObject(value)) return stringMap('Tmpfs')(value, key);
  if (!Array.isArray(value)) return fail(key, 'a mapping of paths to options or a list of "path[:options]"', value);
  return [
    [
      'Tmpfs',
      Object.fromEntries(
        value.map((item) => {
          if (typeof item !== 'string') return fail(key, 'a list of "path[:options]" strings', value);
          const colon = item.indexOf(':');
          return colon < 0 ? [item, ''] : [item.slice(0, colon), item.slice(colon + 1)];
        }),
      ),
    ],
  ];
};

const deviceRates =
  (engineKey: string, rateKey: 'Rate' | 'Weight'): Converter =>
  (value, key) => {
    if (!Array.isArray(value)) return fail(key, `a list of {Path, ${rateKey}}`, value);
    return [
      [
        engineKey,
        value.map((item) => {
          if (!isPlainObject(item)) return fail(key, `a list of {Path, ${rateKey}}`, value);
          return { Path: item.Path ?? item.path, [rateKey]: item[rateKey] ?? item[rateKey.toLowerCase()] };
        }),
      ],
    ];
  };

const mounts: Converter = (value, key) => {
  if (!Array.isArray(value)) return fail(key, 'a list of mounts', value);
  return [
    [
      'Mounts',
      value.map((mount) => {
        if (typeof mount === 'string') {
          const [source = '', target = '', mode] = mount.split(':');
          return { Type: 'bind', Source: source, Target: target, ReadOnly: mode === 'ro' };
        }
        if (!isPlainObject(mount)) return fail(key, 'a list of mounts ({target, source, type, read_only})', value);
        const result: Record<string, Json> = {};
        for (const [name, item] of Object.entries(mount)) {
          const pascal = name.includes('_') || /^[a-z]/.test(name) ? snakeToPascal(name) : name;
          result[pascal] = item;
        }
        return result;
      }),
    ],
  ];
};

const deviceRequests: Converter = (value, key) => {
  if (!Array.isArray(value)) return fail(key, 'a list of device requests', value);
  return [
    [
      'DeviceRequests',
      value.map((request) => {
        if (!isPlainObject(request)) return fail(key, 'a list of device requests', value);
        return Object.fromEntries(
          Object.entries(request).map(([name, item]) => [
            name === 'device_ids' ? 'DeviceIDs' : /^[a-z]/.test(name) ? snakeToPascal(name) : name,
            item,
          ]),
        );
      }),
    ],
  ];
};

function snakeToPascal(name: string): string {
  return name
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Removed by the engine long ago; reported with a useful message rather than silently dropped. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  lxc_conf: 'LXC is not supported by Docker engines since API 1.24; remove it',
  version: 'it is the API version, given by the worker option "version", not a host config key',
};

/**
 * Every keyword of docker-py's `create_host_config` (what Buildbot's `hostconfig` accepts), mapped
 * to the Engine API `HostConfig`.
 */
const SNAKE_CASE_KEYS: Readonly<Record<string, Converter>> = {
  binds,
  port_bindings: portBindings,
  publish_all_ports: bool('PublishAllPorts'),
  links,
  privileged: bool('Privileged'),
  dns: strings('Dns'),
  dns_search: strings('DnsSearch'),
  dns_opt: strings('DnsOptions'),
  volumes_from: volumesFrom,
  network_mode: text('NetworkMode'),
  restart_policy: restartPolicy,
  cap_add: capabilities('CapAdd'),
  cap_drop: capabilities('CapDrop'),
  devices,
  device_cgroup_rules: strings('DeviceCgroupRules'),
  device_requests: deviceRequests,
  extra_hosts: extraHosts,
  read_only: bool('ReadonlyRootfs'),
  pid_mode: text('PidMode'),
  ipc_mode: text('IpcMode'),
  security_opt: strings('SecurityOpt'),
  ulimits,
  log_config: logConfig,
  mem_limit: bytes('Memory'),
  memswap_limit: bytes('MemorySwap'),
  mem_reservation: bytes('MemoryReservation'),
  kernel_memory: bytes('KernelMemory'),
  mem_swappiness: int('MemorySwappiness'),
  cgroup_parent: text('CgroupParent'),
  cgroupns: text('CgroupnsMode'),
  group_add: strings('GroupAdd'),
  cpu_quota: int('CpuQuota'),
  cpu_period: int('CpuPeriod'),
  cpu_shares: int('CpuShares'),
  cpu_count: int('CpuCount'),
  cpu_percent: int('CpuPercent'),
  cpu_rt_period: int('CpuRealtimePeriod'),
  cpu_rt_runtime: int('CpuRealtimeRuntime'),
  cpuset_cpus: text('CpusetCpus'),
  cpuset_mems: text('CpusetMems'),
  nano_cpus: int('NanoCpus'),
  blkio_weight: int('BlkioWeight'),
  blkio_weight_device: deviceRates('BlkioWeightDevice', 'Weight'),
  device_read_bps: deviceRates('BlkioDeviceReadBps', 'Rate'),
  device_write_bps: deviceRates('BlkioDeviceWriteBps', 'Rate'),
  device_read_iops: deviceRates('BlkioDeviceReadIOps', 'Rate'),
  device_write_iops: deviceRates('BlkioDeviceWriteIOps', 'Rate'),
  oom_kill_disable: bool('OomKillDisable'),
  oom_score_adj: int('OomScoreAdj'),
  shm_size: bytes('ShmSize'),
  sysctls: stringMap('Sysctls'),
  tmpfs,
  userns_mode: text('UsernsMode'),
  uts_mode: text('UTSMode'),
  pids_limit: int('PidsLimit'),
  isolation: text('Isolation'),
  auto_remove: bool('AutoRemove'),
  storage_opt: stringMap('StorageOpt'),
  init: bool('Init'),
  init_path: text('InitPath'),
  volume_driver: text('VolumeDriver'),
  runtime: text('Runtime'),
  mounts,
};

/** Engine API `HostConfig` field names, accepted as they are (for users coming from the Engine API). */
const ENGINE_KEYS = new Set([
  'Binds',
  'ContainerIDFile',
  'LogConfig',
  'NetworkMode',
  'PortBindings',
  'RestartPolicy',
  'AutoRemove',
  'VolumeDriver',
  'VolumesFrom',
  'Mounts',
  'ConsoleSize',
  'Annotations',
  'CapAdd',
  'CapDrop',
  'CgroupnsMode',
  'Dns',
  'DnsOptions',
  'DnsSearch',
  'ExtraHosts',
  'GroupAdd',
  'IpcMode',
  'Cgroup',
  'Links',
  'OomScoreAdj',
  'PidMode',
  'Privileged',
  'PublishAllPorts',
  'ReadonlyRootfs',
  'SecurityOpt',
  'StorageOpt',
  'Tmpfs',
  'UTSMode',
  'UsernsMode',
  'ShmSize',
  'Sysctls',
  'Runtime',
  'Isolation',
  'MaskedPaths',
  'ReadonlyPaths',
  'CpuShares',
  'Memory',
  'CgroupParent',
  'BlkioWeight',
  'BlkioWeightDevice',
  'BlkioDeviceReadBps',
  'BlkioDeviceWriteBps',
  'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps',
  'CpuPeriod',
  'CpuQuota',
  'CpuRealtimePeriod',
  'CpuRealtimeRuntime',
  'CpusetCpus',
  'CpusetMems',
  'Devices',
  'DeviceCgroupRules',
  'DeviceRequests',
  'KernelMemory',
  'KernelMemoryTCP',
  'MemoryReservation',
  'MemorySwap',
  'MemorySwappiness',
  'NanoCpus',
  'OomKillDisable',
  'Init',
  'PidsLimit',
  'Ulimits',
  'CpuCount',
  'CpuPercent',
  'IOMaximumIOps',
  'IOMaximumBandwidth',
]);

/** The keys of `hostconfig` that no mapping knows. */
export function unknownHostConfigKeys(hostconfig: Readonly<Record<string, unknown>>): string[] {
  // Own properties only: `constructor`, `toString` or a JSON `__proto__` are not host config keys.
  return Object.keys(hostconfig).filter((key) => !Object.hasOwn(SNAKE_CASE_KEYS, key) && !ENGINE_KEYS.has(key));
}

/** Throws `UnknownHostConfigKeyError` naming every key of `hostconfig` that no mapping knows. */
export function assertKnownHostConfigKeys(hostconfig: Readonly<Record<string, unknown>>, retryable = false): void {
  const unknown = unknownHostConfigKeys(hostconfig);
  if (unknown.length === 0) return;
  const hints = unknown.map((key) => {
    if (Object.hasOwn(UNSUPPORTED, key)) return `"${key}" (${UNSUPPORTED[key]})`;
    const snake = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
    return Object.hasOwn(SNAKE_CASE_KEYS, snake) && snake !== key ? `"${key}" (did you mean "${snake}"?)` : `"${key}"`;
  });
  throw new UnknownHostConfigKeyError(
    unknown,
    `hostconfig has unknown key${unknown.length > 1 ? 's' : ''} ${hints.join(', ')}: use docker-py's create_host_config keywords (network_mode, dns, privileged, shm_size, mem_limit, binds, port_bindings, …) or Engine API HostConfig names (NetworkMode, …)`,
    { retryable },
  );
}

/**
 * Maps Buildbot's `hostconfig` (docker-py `create_host_config` keywords, or Engine API names) to
 * the Engine API `HostConfig`. Unknown keys throw {@link UnknownHostConfigKeyError}; bad values
 * throw {@link InvalidHostConfigValueError}. `undefined`/`null` values are dropped, as docker-py does.
 */
export function toEngineHostConfig(
  hostconfig: Readonly<Record<string, unknown>>,
  retryable = false,
): Dockerode.HostConfig {
  assertKnownHostConfigKeys(hostconfig, retryable);
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(hostconfig)) {
    if (value === undefined || (value === null && key !== 'port_bindings')) continue;
    const converter = Object.hasOwn(SNAKE_CASE_KEYS, key) ? SNAKE_CASE_KEYS[key] : undefined;
    if (converter === undefined) {
      result[key] = value;
      continue;
    }
    let converted: [string, unknown][];
    try {
      converted = converter(value, key);
    } catch (error) {
      // Values rendered at start fail the start retryably, like Buildbot's docker-py errors.
      if (retryable && error instanceof InvalidHostConfigValueError) {
        throw new InvalidHostConfigValueError(error.key, error.message, { retryable: true });
      }
      throw error;
    }
    for (const [engineKey, engineValue] of converted) result[engineKey] = engineValue;
  }
  return result as Dockerode.HostConfig;
}

/** Whether the user set `init` in either spelling (Buildbot only defaults `init` when absent). */
export function hasInitSetting(hostconfig: Readonly<Record<string, unknown>>): boolean {
  return Object.hasOwn(hostconfig, 'init') || Object.hasOwn(hostconfig, 'Init');
}
