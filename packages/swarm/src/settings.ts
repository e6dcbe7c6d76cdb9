import { ConfigurationError, type Renderable as CoreRenderable, isRenderable, type Logger } from '@latentci/core';
import { parseDockerHost } from '@latentci/docker';
import type Dockerode from 'dockerode';

/** A value, or one of core's renderables (`Interpolate`, `Property`, `renderer(fn)`…) that yields it for a build. */
export type Renderable<T> = T | CoreRenderable<T> | CoreRenderable<unknown>;

/** CPU and memory of a task: `cpus` in CPUs (`0.5`), `memory` in bytes or with a unit (`"256m"`, `"1g"`). */
export interface SwarmResourceAmounts {
  readonly cpus?: number;
  readonly memory?: number | string;
}

/** Swarm resources: hard `limits` and the `reservations` the scheduler places by. */
export interface SwarmResources {
  readonly limits?: SwarmResourceAmounts;
  readonly reservations?: SwarmResourceAmounts;
}

/** A mount of the task's container, as `docker service create --mount` takes it. */
export interface SwarmMount {
  readonly type?: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind) or volume name (volume); absent for tmpfs and anonymous volumes. */
  readonly source?: string;
  readonly target: string;
  readonly readOnly?: boolean;
}

/**
 * Settings of the Swarm provider. Options marked renderable accept core renderables, rendered
 * with the build's properties at each start.
 */
export interface SwarmProviderSettings {
  /**
   * A swarm manager's engine: `unix:///var/run/docker.sock`, `tcp://host:2375`. Default:
   * `DOCKER_HOST`, else the local socket. For TLS, pass a ready client as `docker`.
   */
  readonly dockerHost?: string | undefined;
  /** A ready dockerode client of a swarm manager; replaces `dockerHost`. */
  readonly docker?: Dockerode | undefined;
  /**
   * Image to run (renderable). On a single-node swarm a local image is run by its id; on a
   * multi-node swarm give a registry reference: its digest is pinned at start.
   */
  readonly image: Renderable<string>;
  /** Arguments for the image's entrypoint (the service's `Args`): a list, or a string split on spaces. */
  readonly command?: string | readonly string[] | undefined;
  /** Placement constraints (renderable), e.g. `node.labels.pool==ci`, `node.role==worker`. */
  readonly constraints?: Renderable<readonly Renderable<string>[]> | undefined;
  /** Placement preferences (renderable): `spread=node.labels.zone` entries. */
  readonly preferences?: Renderable<readonly Renderable<string>[]> | undefined;
  /** Resource limits and reservations (renderable). */
  readonly resources?: Renderable<SwarmResources> | undefined;
  /** Networks to attach the task to (renderable): names or ids of existing overlay networks. */
  readonly networks?: Renderable<readonly Renderable<string>[]> | undefined;
  /** Mounts of the task's container (renderable). */
  readonly mounts?: Renderable<readonly SwarmMount[]> | undefined;
  /** The task container's hostname (renderable). */
  readonly hostname?: Renderable<string> | undefined;
  /**
   * Anything else of the Engine API's `ServiceSpec` (renderable), deep-merged over the spec the
   * provider builds: objects merge key by key, arrays and scalars replace.
   */
  readonly serviceSpec?: Renderable<Readonly<Record<string, unknown>>> | undefined;
  /** Stream the service's logs to the start's log events until it stops. Default false. */
  readonly followStartupLogs?: boolean | undefined;
  /** Seconds a stop waits for the service's container to be gone after removing the service. Default 60. */
  readonly removeTimeout?: number | undefined;
  /** Where the provider logs (already redacted). Default: silent. */
  readonly logger?: Logger | undefined;
}

export const SWARM_SETTING_NAMES: readonly (keyof SwarmProviderSettings)[] = [
  'dockerHost',
  'docker',
  'image',
  'command',
  'constraints',
  'preferences',
  'resources',
  'networks',
  'mounts',
  'hostname',
  'serviceSpec',
  'followStartupLogs',
  'removeTimeout',
  'logger',
];

export interface ValidatedSwarmSettings {
  readonly dockerHost: string | undefined;
  readonly docker: Dockerode | undefined;
  readonly image: Renderable<string>;
  readonly command: readonly string[];
  readonly constraints: Renderable<readonly Renderable<string>[]>;
  readonly preferences: Renderable<readonly Renderable<string>[]>;
  readonly resources: Renderable<SwarmResources>;
  readonly networks: Renderable<readonly Renderable<string>[]>;
  readonly mounts: Renderable<readonly SwarmMount[]>;
  readonly hostname: Renderable<string> | undefined;
  readonly serviceSpec: Renderable<Readonly<Record<string, unknown>>>;
  readonly followStartupLogs: boolean;
  readonly removeTimeout: number;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function checkType(name: string, value: unknown, expected: string, accept: (value: unknown) => boolean): void {
  if (value === undefined || accept(value) || isRenderable(value)) return;
  throw new ConfigurationError(
    `${name} must be ${expected} (or a renderable), got ${JSON.stringify(value) ?? typeof value}`,
  );
}

const isStringList = (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === 'string');
/** A list whose items are strings or renderables (rendered per build like the whole list). */
const isRenderableStringList = (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string' || isRenderable(item));

/** Validates the settings at creation: every problem is a `ConfigurationError` naming the setting. */
export function validateSwarmSettings(settings: SwarmProviderSettings): ValidatedSwarmSettings {
  if (!isPlainObject(settings as unknown)) throw new ConfigurationError('Swarm provider settings must be an object');
  const known = new Set<string>(SWARM_SETTING_NAMES);
  const unknown = Object.keys(settings).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `unknown Swarm provider setting${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Known settings: ${[...known].join(', ')}`,
    );
  }
  if (settings.image === undefined)
    throw new ConfigurationError('image is required: the image each worker service runs');
  checkType('image', settings.image, 'a non-empty string', (value) => typeof value === 'string' && value.length > 0);
  checkType('constraints', settings.constraints, 'a list of strings', isRenderableStringList);
  checkType('preferences', settings.preferences, 'a list of "spread=<node attribute>" strings', isRenderableStringList);
  checkType('networks', settings.networks, 'a list of network names', isRenderableStringList);
  checkType('mounts', settings.mounts, 'a list of { type, source, target, readOnly }', Array.isArray);
  checkType('resources', settings.resources, 'a { limits, reservations } mapping', isPlainObject);
  checkType('hostname', settings.hostname, 'a string', (value) => typeof value === 'string');
  checkType('serviceSpec', settings.serviceSpec, 'a mapping (a partial Engine API ServiceSpec)', isPlainObject);
  if (settings.docker !== undefined && settings.dockerHost !== undefined) {
    throw new ConfigurationError('give either docker (a ready dockerode client) or dockerHost, not both');
  }
  if (settings.docker !== undefined && typeof settings.docker?.createService !== 'function') {
    throw new ConfigurationError('docker must be a dockerode instance (new Docker({...}))');
  }
  if (settings.dockerHost !== undefined) {
    if (typeof settings.dockerHost !== 'string') throw new ConfigurationError('dockerHost must be a string');
    parseDockerHost(settings.dockerHost, false);
  }
  let command: readonly string[] = [];
  if (typeof settings.command === 'string') command = settings.command.split(/\s+/).filter((word) => word !== '');
  else if (isStringList(settings.command)) command = [...(settings.command as readonly string[])];
  else if (settings.command !== undefined)
    throw new ConfigurationError('command must be a string or a list of strings');
  if (settings.followStartupLogs !== undefined && typeof settings.followStartupLogs !== 'boolean') {
    throw new ConfigurationError('followStartupLogs must be true or false');
  }
  const removeTimeout = settings.removeTimeout ?? 60;
  if (typeof removeTimeout !== 'number' || !Number.isFinite(removeTimeout) || removeTimeout <= 0) {
    throw new ConfigurationError(`removeTimeout must be a positive number of seconds, got ${String(removeTimeout)}`);
  }
  return {
    dockerHost: settings.dockerHost,
    docker: settings.docker,
    image: settings.image,
    command,
    constraints: settings.constraints ?? [],
    preferences: settings.preferences ?? [],
    resources: settings.resources ?? {},
    networks: settings.networks ?? [],
    mounts: settings.mounts ?? [],
    hostname: settings.hostname,
    serviceSpec: settings.serviceSpec ?? {},
    followStartupLogs: settings.followStartupLogs ?? false,
    removeTimeout,
  };
}
