import { ConfigFileError } from '../cli-errors.js';
import type { WorkerConfig, WorkerSection } from './worker-config.js';

const WORKER_KEYS: readonly (keyof WorkerSection)[] = [
  'name',
  'password',
  'masterId',
  'masterFQDN',
  'masterPort',
  'masterProtocol',
  'missingTimeout',
  'checkInstanceInterval',
  'buildWaitTimeout',
  'maxBuilds',
  'properties',
];
const TOP_KEYS = ['provider', 'settings', 'worker'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isProviderObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'specificationVersion' in value;
}

/**
 * Checks the shape of a worker config and returns it typed. Values the lifecycle validates itself
 * (timeouts, the master address) are only type-checked here; `LatentWorker` reports the rest.
 *
 * @throws ConfigFileError naming the key and what is accepted.
 */
export function validateWorkerConfig(value: unknown, file?: string): WorkerConfig {
  const fail = (message: string): never => {
    throw new ConfigFileError(file, message);
  };
  if (!isPlainObject(value)) {
    return fail(
      `a worker config must be an object like { "provider": "@latentci/docker", "settings": { "image": "…" }, "worker": { "name": "…" } }, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  for (const key of Object.keys(value)) {
    if (!(TOP_KEYS as readonly string[]).includes(key)) {
      fail(`unknown key "${key}"; a worker config has ${TOP_KEYS.map((k) => `"${k}"`).join(', ')}`);
    }
  }
  const { provider, settings, worker } = value;
  if (typeof provider === 'string') {
    if (provider.trim().length === 0) fail('"provider" must name a provider package, e.g. "@latentci/docker"');
  } else if (!isProviderObject(provider)) {
    fail(
      '"provider" must be a provider package name such as "@latentci/docker" (or, in a JS/TS config module, a provider object)',
    );
  }
  if (settings !== undefined && !isPlainObject(settings)) {
    fail('"settings" must be an object of provider settings, e.g. { "image": "latentci-probe:0.1.0" }');
  }
  if (!isPlainObject(worker)) {
    return fail('"worker" must be an object with at least a "name", e.g. { "name": "try-worker" }');
  }
  for (const key of Object.keys(worker)) {
    if (!(WORKER_KEYS as readonly string[]).includes(key)) {
      fail(`unknown worker option "worker.${key}"; accepted: ${WORKER_KEYS.join(', ')}`);
    }
  }
  if (typeof worker.name !== 'string' || worker.name.length === 0) {
    fail('"worker.name" must be a non-empty string: the name the worker connects with');
  }
  for (const key of ['password', 'masterId', 'masterFQDN', 'masterProtocol'] as const) {
    const option = worker[key];
    if (option !== undefined && (typeof option !== 'string' || option.length === 0)) {
      fail(`"worker.${key}" must be a non-empty string (or left out)`);
    }
  }
  for (const key of [
    'masterPort',
    'missingTimeout',
    'checkInstanceInterval',
    'buildWaitTimeout',
    'maxBuilds',
  ] as const) {
    const option = worker[key];
    if (option !== undefined && (typeof option !== 'number' || !Number.isFinite(option))) {
      fail(
        `"worker.${key}" must be a number${key === 'masterPort' || key === 'maxBuilds' ? '' : ' of seconds'}, got ${JSON.stringify(option)}`,
      );
    }
  }
  const port = worker.masterPort;
  if (typeof port === 'number' && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    fail(`"worker.masterPort" must be an integer between 1 and 65535, got ${port}`);
  }
  if (worker.properties !== undefined && !isPlainObject(worker.properties)) {
    fail('"worker.properties" must be an object of build properties');
  }
  return value as unknown as WorkerConfig;
}
