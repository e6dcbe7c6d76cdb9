import { appIdErrors, canonicalAppId } from '../app-id.js';
import { isPlainObject } from '../deep-merge.js';
import type { MarathonApp, MarathonErrorBody } from './marathon-types.js';

/** The answer to an invalid app: Marathon's status and JSON body. */
export interface AppRejection {
  readonly status: number;
  readonly body: MarathonErrorBody;
}

export type NormalizeResult =
  | { readonly ok: true; readonly app: MarathonApp }
  | { readonly ok: false; readonly rejection: AppRejection };

class Violations {
  readonly #byPath = new Map<string, string[]>();

  add(path: string, error: string): void {
    const errors = this.#byPath.get(path) ?? [];
    errors.push(error);
    this.#byPath.set(path, errors);
  }

  get empty(): boolean {
    return this.#byPath.size === 0;
  }

  details(): { path: string; errors: string[] }[] {
    return [...this.#byPath].map(([path, errors]) => ({ path, errors }));
  }
}

const DOCKER_NETWORKS = ['BRIDGE', 'HOST', 'NONE', 'USER'] as const;
const NETWORK_MODES = ['container', 'container/bridge', 'host'] as const;
const DEFAULT_PORT_MAPPING = {
  containerPort: 0,
  hostPort: 0,
  labels: {},
  name: 'default',
  protocol: 'tcp',
  servicePort: 0,
};

/**
 * Marathon's `POST /v2/apps` pipeline for the fields a one-container app uses:
 * Play reads (`null` means absent; wrong types → 422 "Invalid JSON"), the app validators (422
 * "Object is not valid", violations grouped by path), migration of the deprecated
 * `container.docker.network` to `networks`, and the defaults. Unknown fields are kept, as
 * Marathon's reads ignore what they do not know.
 */
export function normalizeApp(input: unknown, version: string): NormalizeResult {
  if (!isPlainObject(input)) {
    return reject(422, { message: 'Invalid JSON', details: [{ path: '', errors: ['error.expected.jsobject'] }] });
  }
  const body = withoutNulls(input);
  const reads = new Violations();
  readTypes(body, reads);
  if (!reads.empty) return reject(422, { message: 'Invalid JSON', details: reads.details() });

  const docker = (body.container as Record<string, unknown> | undefined)?.docker as Record<string, unknown> | undefined;
  if (docker?.network === 'NONE') {
    // A NormalizationException in Marathon, mapped to 500.
    return reject(500, { message: 'unsupported docker network type NONE' });
  }

  const violations = new Violations();
  const id = body.id as string;
  for (const error of appIdErrors(id)) violations.add('/id', error);
  for (const field of ['instances', 'cpus', 'mem', 'disk', 'gpus'] as const) {
    const value = body[field];
    if (typeof value === 'number' && value < 0) violations.add(`/${field}`, `got ${value}, expected 0 or more`);
  }
  if (typeof body.cmd === 'string' && body.cmd.length <= 1) violations.add('/cmd', 'must not be an empty string');
  if (body.cmd !== undefined && body.args !== undefined)
    violations.add('/', "AppDefinition must not contain both 'cmd' and 'args'.");
  if (body.cmd === undefined && body.args === undefined && body.container === undefined) {
    violations.add('/', "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
  }
  if (docker && typeof docker.image === 'string' && docker.image.length === 0) {
    violations.add('/container/docker/image', 'must not be empty');
  }
  if (docker?.network !== undefined && body.networks !== undefined) {
    violations.add('/', 'must not specify both container.docker.network and networks');
  }
  for (const [name, value] of Object.entries((body.env ?? {}) as Record<string, unknown>)) {
    if (typeof value !== 'string') {
      violations.add(`/env/${name}`, 'Feature secrets is not enabled. Enable with --enable_features secrets)');
    }
  }
  const networks = normalizeNetworks(body, docker);
  const modes = new Set(networks.map((network) => network.mode));
  if (modes.size > 1) violations.add('/networks', 'Networking modes cannot be mixed');
  const container = body.container as Record<string, unknown> | undefined;
  if (modes.has('host') && container?.portMappings !== undefined) {
    violations.add('/container/portMappings', 'Port mappings must not be set when using host networking');
  }
  if (!violations.empty) return reject(422, { message: 'Object is not valid', details: violations.details() });

  const { ports: _ports, uris: _uris, ipAddress: _ipAddress, ...rest } = body;
  const app: MarathonApp = {
    backoffFactor: 1.15,
    backoffSeconds: 1,
    maxLaunchDelaySeconds: 300,
    cpus: 1,
    disk: 0,
    gpus: 0,
    mem: 128,
    instances: 1,
    executor: '',
    requirePorts: false,
    upgradeStrategy: { maximumOverCapacity: 1, minimumHealthCapacity: 1 },
    unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
    killSelection: 'YOUNGEST_FIRST',
    role: '*',
    ...rest,
    id: canonicalAppId(id),
    env: (body.env ?? {}) as Record<string, string>,
    labels: (body.labels ?? {}) as Record<string, string>,
    networks,
    version,
  };
  if (container !== undefined) app.container = normalizeContainer(container, modes.has('host'));
  if (!modes.has('host')) delete app.portDefinitions;
  else if (app.portDefinitions === undefined) app.portDefinitions = [{ port: 0, protocol: 'tcp', name: 'default' }];
  return { ok: true, app };
}

function reject(status: number, body: MarathonErrorBody): NormalizeResult {
  return { ok: false, rejection: { status, body } };
}

/** Play's `readNullable`: an explicit `null` behaves like an absent field, at every depth. */
function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null) continue;
    result[key] = isPlainObject(item) ? withoutNulls(item) : item;
  }
  return result;
}

function readTypes(body: Record<string, unknown>, reads: Violations): void {
  if (body.id === undefined) reads.add('/id', 'error.path.missing');
  else if (typeof body.id !== 'string') reads.add('/id', 'error.expected.jsstring');
  if (body.instances !== undefined && !Number.isInteger(body.instances)) {
    reads.add('/instances', typeof body.instances === 'number' ? 'error.expected.int' : 'error.expected.jsnumber');
  }
  for (const field of ['cpus', 'mem', 'disk', 'gpus', 'backoffSeconds', 'backoffFactor', 'maxLaunchDelaySeconds']) {
    if (body[field] !== undefined && typeof body[field] !== 'number') reads.add(`/${field}`, 'error.expected.jsnumber');
  }
  if (body.cmd !== undefined && typeof body.cmd !== 'string') reads.add('/cmd', 'error.expected.jsstring');
  if (body.args !== undefined) {
    if (!Array.isArray(body.args)) reads.add('/args', 'error.expected.jsarray');
    else
      body.args.forEach((arg, index) => {
        if (typeof arg !== 'string') reads.add(`/args(${index})`, 'error.expected.jsstring');
      });
  }
  for (const field of ['env', 'labels']) {
    const value = body[field];
    if (value === undefined) continue;
    if (!isPlainObject(value)) {
      reads.add(`/${field}`, 'error.expected.jsobject');
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const secretReference = field === 'env' && isPlainObject(item) && typeof item.secret === 'string';
      if (typeof item !== 'string' && !secretReference) reads.add(`/${field}/${key}`, 'error.expected.jsstring');
    }
  }
  if (body.networks !== undefined) {
    if (!Array.isArray(body.networks)) reads.add('/networks', 'error.expected.jsarray');
    else
      body.networks.forEach((network, index) => {
        if (!isPlainObject(network)) reads.add(`/networks(${index})`, 'error.expected.jsobject');
        else if (network.mode !== undefined && !(NETWORK_MODES as readonly unknown[]).includes(network.mode)) {
          reads.add(`/networks(${index})/mode`, 'error.expected.validenumvalue');
        }
      });
  }
  const container = body.container;
  if (container === undefined) return;
  if (!isPlainObject(container)) {
    reads.add('/container', 'error.expected.jsobject');
    return;
  }
  if (container.type !== undefined && container.type !== 'DOCKER' && container.type !== 'MESOS') {
    reads.add('/container/type', 'error.expected.validenumvalue');
  }
  const docker = container.docker;
  if (docker === undefined) return;
  if (!isPlainObject(docker)) {
    reads.add('/container/docker', 'error.expected.jsobject');
    return;
  }
  if (docker.image === undefined) reads.add('/container/docker/image', 'error.path.missing');
  else if (typeof docker.image !== 'string') reads.add('/container/docker/image', 'error.expected.jsstring');
  if (docker.network !== undefined && !(DOCKER_NETWORKS as readonly unknown[]).includes(docker.network)) {
    reads.add('/container/docker/network', 'error.expected.validenumvalue');
  }
  for (const flag of ['forcePullImage', 'privileged']) {
    if (docker[flag] !== undefined && typeof docker[flag] !== 'boolean') {
      reads.add(`/container/docker/${flag}`, 'error.expected.jsboolean');
    }
  }
}

function normalizeNetworks(
  body: Record<string, unknown>,
  docker: Record<string, unknown> | undefined,
): MarathonApp['networks'] {
  if (Array.isArray(body.networks)) {
    return (body.networks as Record<string, unknown>[]).map((network) => ({
      mode: (network.mode ?? 'container') as MarathonApp['networks'][number]['mode'],
      ...(typeof network.name === 'string' ? { name: network.name } : {}),
    }));
  }
  switch (docker?.network) {
    case 'BRIDGE':
      return [{ mode: 'container/bridge' }];
    case 'USER':
      return [{ mode: 'container' }];
    default:
      return [{ mode: 'host' }];
  }
}

function normalizeContainer(
  container: Record<string, unknown>,
  hostNetworking: boolean,
): NonNullable<MarathonApp['container']> {
  const docker = container.docker as Record<string, unknown> | undefined;
  const { network: _network, portMappings: legacyPortMappings, ...dockerRest } = docker ?? {};
  const portMappings = container.portMappings ?? legacyPortMappings ?? [DEFAULT_PORT_MAPPING];
  return {
    ...container,
    type: (container.type ?? 'DOCKER') as 'DOCKER' | 'MESOS',
    ...(docker
      ? {
          docker: {
            forcePullImage: false,
            privileged: false,
            parameters: [],
            ...dockerRest,
            image: docker.image as string,
          },
        }
      : {}),
    volumes: (container.volumes ?? []) as unknown[],
    ...(hostNetworking ? {} : { portMappings: portMappings as unknown[] }),
  };
}
