import { ConfigurationError, isRenderable, type Logger } from '@latentci/core';
import type { RenderableSetting as Renderable } from '@latentci/provider-utils';
import { assertImageReference } from '@latentci/provider-utils';
import type Dockerode from 'dockerode';
import { type DockerTls, type LoadedTls, loadTls, normalizeApiVersion, parseDockerHost } from './docker-connection.js';
import { assertKnownHostConfigKeys, toEngineHostConfig } from './host-config.js';
import { parseVolume } from './volumes.js';

/**
 * Settings of the Docker provider: Buildbot's `DockerLatentWorker` options in camelCase. Options
 * marked renderable accept core renderables (`Interpolate`, `Property`, `renderer`), rendered with
 * the build's properties at each start.
 */
export interface DockerProviderSettings {
  /**
   * Engine address (renderable): `unix:///var/run/docker.sock`, `tcp://host:2375`,
   * `tcp://host:2376` with `tls`, or `https://host:2376`. Default: `DOCKER_HOST`, else the local socket.
   */
  readonly dockerHost?: Renderable<string> | undefined;
  /** A ready dockerode client; replaces `dockerHost`, `tls` and `version`. */
  readonly docker?: Dockerode | undefined;
  /** Image to run (renderable). Without it, `dockerfile` is required and the image is built. */
  readonly image?: Renderable<string> | undefined;
  /** Container command, overriding the image's `CMD`: a list, or a string split like a shell would. */
  readonly command?: string | readonly string[] | undefined;
  /** `"<source>:<container path>[:ro|:rw|:z…]"` strings (renderable list, or renderable items). */
  readonly volumes?: Renderable<readonly Renderable<string>[]> | undefined;
  /** Dockerfile text (renderable); with `customContext`, the path of a build-context tar. */
  readonly dockerfile?: Renderable<string> | undefined;
  /** Docker API version (`"1.41"`); default: the engine's. */
  readonly version?: string | undefined;
  /** TLS for a `tcp://`/`https://` engine: `true`, or `{ ca, cert, key, verify }` (PEM text or file paths). Default: `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH` when set. */
  readonly tls?: DockerTls | undefined;
  /** Stream the container's output to the start's log events until it stops. Default false. */
  readonly followStartupLogs?: boolean | undefined;
  /** docker-py `create_host_config` keywords (renderable; keys and values): `network_mode`, `dns`, `privileged`, `shm_size`… */
  readonly hostconfig?: Renderable<Readonly<Record<string, unknown>>> | undefined;
  /** Pull the image when it is not on the engine. Default false. */
  readonly autopull?: boolean | undefined;
  /** With `autopull`, pull even when the image is present; also refreshes `FROM` images of builds. Default false. */
  readonly alwaysPull?: boolean | undefined;
  /** `dockerfile` is the path of a build-context tar instead of Dockerfile text (renderable). Default false. */
  readonly customContext?: Renderable<boolean> | undefined;
  /** Compression of the custom context (`gzip`, `bzip2`, `xz`, `identity`), renderable. Default `gzip`; the engine detects it. */
  readonly encoding?: Renderable<string> | undefined;
  /** Build arguments (renderable); used by every build, not only custom contexts as in Buildbot. */
  readonly buildargs?: Renderable<Readonly<Record<string, string>>> | undefined;
  /** Build stage of a multi-stage Dockerfile (renderable). */
  readonly target?: Renderable<string> | undefined;
  /** Container hostname (renderable). */
  readonly hostname?: Renderable<string> | undefined;
  /** Where the provider logs (already redacted). Default: silent. */
  readonly logger?: Logger | undefined;
}

/** The settings after validation and defaults; renderables are kept for each start. */
export interface ValidatedDockerSettings {
  readonly dockerHost: Renderable<string> | undefined;
  readonly docker: Dockerode | undefined;
  readonly image: Renderable<string> | undefined;
  readonly command: readonly string[];
  readonly volumes: Renderable<readonly Renderable<string>[]>;
  readonly dockerfile: Renderable<string> | undefined;
  readonly version: string | undefined;
  readonly tls: LoadedTls | undefined;
  readonly followStartupLogs: boolean;
  readonly hostconfig: Renderable<Readonly<Record<string, unknown>>>;
  readonly autopull: boolean;
  readonly alwaysPull: boolean;
  readonly customContext: Renderable<boolean>;
  readonly encoding: Renderable<string>;
  readonly buildargs: Renderable<Readonly<Record<string, string>>> | undefined;
  readonly target: Renderable<string> | undefined;
  readonly hostname: Renderable<string> | undefined;
}

/** Compressions the engine accepts for a build context (Buildbot documents `gzip` and `bzip`). */
export const CONTEXT_ENCODINGS = ['gzip', 'bzip2', 'bzip', 'xz', 'identity'] as const;

/** The names of every Docker provider setting (the rest of `dockerLatentWorker`'s options go to `LatentWorker`). */
export const DOCKER_SETTING_NAMES: readonly (keyof DockerProviderSettings)[] = [
  'dockerHost',
  'docker',
  'image',
  'command',
  'volumes',
  'dockerfile',
  'version',
  'tls',
  'followStartupLogs',
  'hostconfig',
  'autopull',
  'alwaysPull',
  'customContext',
  'encoding',
  'buildargs',
  'target',
  'hostname',
  'logger',
];

const KNOWN_SETTINGS = new Set<string>(DOCKER_SETTING_NAMES);

/** Buildbot spellings people will paste, and what they are called here. */
const BUILDBOT_SPELLINGS: Readonly<Record<string, string>> = {
  docker_host: 'dockerHost',
  custom_context: 'customContext',
  master_protocol: 'masterProtocol',
  build_wait_timeout: 'buildWaitTimeout',
  missing_timeout: 'missingTimeout',
  check_instance_interval: 'checkInstanceInterval',
  always_pull: 'alwaysPull',
  follow_startup_logs: 'followStartupLogs',
  host_config: 'hostconfig',
  hostConfig: 'hostconfig',
  buildArgs: 'buildargs',
};

/** Python's `shlex` whitespace: only these four separate words (not NBSP, `\v` or `\f`). */
const SHLEX_WHITESPACE = ' \t\r\n';

/**
 * Splits a command string into words exactly as docker-py does, with Python's `shlex.split`
 * (POSIX mode, no comments): quotes group words; outside quotes a backslash escapes any character;
 * inside double quotes it escapes only `"` and `\` (elsewhere it stays); inside single quotes
 * nothing is escaped. An unclosed quote or a trailing backslash is a `ConfigurationError`, as
 * `shlex` raises `ValueError` for them.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < command.length; index++) {
    const character = command.charAt(index);
    if (quote === "'") {
      if (character === "'") quote = undefined;
      else current += character;
    } else if (quote === '"') {
      if (character === '"') quote = undefined;
      else if (character === '\\' && index + 1 < command.length) {
        const next = command.charAt(++index);
        current += next === '"' || next === '\\' ? next : `\\${next}`;
      } else current += character;
    } else if (character === "'" || character === '"') {
      quote = character;
      inWord = true;
    } else if (character === '\\') {
      if (index + 1 >= command.length) {
        throw new ConfigurationError(`command ${JSON.stringify(command)} ends with a backslash that escapes nothing`);
      }
      current += command.charAt(++index);
      inWord = true;
    } else if (SHLEX_WHITESPACE.includes(character)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += character;
      inWord = true;
    }
  }
  if (quote !== undefined)
    throw new ConfigurationError(`command ${JSON.stringify(command)} has an unclosed ${quote} quote`);
  if (inWord) words.push(current);
  return words;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Deepest nesting of a setting's lists and mappings (core's `render` refuses deeper ones too). */
const MAX_SETTING_DEPTH = 200;

function containsRenderable(value: unknown, depth: number): boolean {
  if (isRenderable(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  if (depth >= MAX_SETTING_DEPTH) {
    throw new ConfigurationError(
      `a setting is nested deeper than ${MAX_SETTING_DEPTH} levels of lists and mappings: flatten it`,
    );
  }
  const items = Array.isArray(value) ? value : isPlainObject(value) ? Object.values(value) : [];
  return items.some((item) => containsRenderable(item, depth + 1));
}

function checkType(name: string, value: unknown, expected: string, accept: (value: unknown) => boolean): void {
  if (value === undefined || accept(value) || isRenderable(value)) return;
  throw new ConfigurationError(
    `${name} must be ${expected} (or a renderable), got ${JSON.stringify(value) ?? typeof value}`,
  );
}

function checkBoolean(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    throw new ConfigurationError(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Validates the settings at creation, like Buildbot's `checkConfig` (and more): every problem is a
 * `ConfigurationError` that names the setting and says what is accepted.
 */
export function validateDockerSettings(settings: DockerProviderSettings): ValidatedDockerSettings {
  if (!isPlainObject(settings as unknown)) throw new ConfigurationError('Docker provider settings must be an object');
  const unknown = Object.keys(settings).filter((key) => !KNOWN_SETTINGS.has(key));
  if (unknown.length > 0) {
    const described = unknown.map((key) =>
      Object.hasOwn(BUILDBOT_SPELLINGS, key) ? `${key} (write ${BUILDBOT_SPELLINGS[key]})` : key,
    );
    throw new ConfigurationError(
      `unknown Docker provider setting${unknown.length > 1 ? 's' : ''}: ${described.join(', ')}. Known settings: ${[...KNOWN_SETTINGS].join(', ')}`,
    );
  }
  if (settings.image === undefined && settings.dockerfile === undefined) {
    throw new ConfigurationError(
      'DockerLatentWorker: You need to specify at least an image name, or a dockerfile (give image, or dockerfile to build one)',
    );
  }
  checkType('image', settings.image, 'a string', (value) => typeof value === 'string' && value.length > 0);
  if (typeof settings.image === 'string') assertImageReference(settings.image);
  checkType('dockerfile', settings.dockerfile, 'a string', (value) => typeof value === 'string');
  checkType('dockerHost', settings.dockerHost, 'a string', (value) => typeof value === 'string');
  checkType('hostname', settings.hostname, 'a string', (value) => typeof value === 'string');
  checkType('target', settings.target, 'a string', (value) => typeof value === 'string');
  checkType('encoding', settings.encoding, `one of ${CONTEXT_ENCODINGS.join(', ')}`, (value) =>
    (CONTEXT_ENCODINGS as readonly unknown[]).includes(value),
  );
  checkType('customContext', settings.customContext, 'true or false', (value) => typeof value === 'boolean');
  checkType('buildargs', settings.buildargs, 'a mapping of names to strings', (value) => isPlainObject(value));
  checkType('hostconfig', settings.hostconfig, 'a mapping of docker-py create_host_config keywords', (value) =>
    isPlainObject(value),
  );
  checkType('volumes', settings.volumes, 'a list of "<source>:<container path>" strings', (value) =>
    Array.isArray(value),
  );

  if (
    settings.docker !== undefined &&
    (settings.dockerHost !== undefined || settings.tls !== undefined || settings.version !== undefined)
  ) {
    throw new ConfigurationError('give either docker (a ready dockerode client) or dockerHost/tls/version, not both');
  }
  if (
    settings.docker !== undefined &&
    (typeof settings.docker !== 'object' || typeof settings.docker.listContainers !== 'function')
  ) {
    throw new ConfigurationError('docker must be a dockerode instance (new Docker({...}))');
  }
  if (typeof settings.dockerHost === 'string')
    parseDockerHost(settings.dockerHost, settings.tls !== undefined && settings.tls !== false);
  if (settings.version !== undefined && typeof settings.version !== 'string') {
    throw new ConfigurationError(`version must be a string like "1.41", got ${JSON.stringify(settings.version)}`);
  }
  const version = normalizeApiVersion(settings.version);
  if (settings.tls !== undefined && typeof settings.tls !== 'boolean' && !isPlainObject(settings.tls)) {
    throw new ConfigurationError('tls must be true, false or { ca, cert, key, verify }');
  }
  const tls = loadTls(settings.tls);

  let command: readonly string[] = [];
  if (typeof settings.command === 'string') command = splitCommand(settings.command);
  else if (Array.isArray(settings.command)) {
    if (!settings.command.every((word) => typeof word === 'string')) {
      throw new ConfigurationError('command must be a string or a list of strings');
    }
    command = [...settings.command];
  } else if (settings.command !== undefined)
    throw new ConfigurationError('command must be a string or a list of strings');

  if (Array.isArray(settings.volumes)) {
    for (const volume of settings.volumes) {
      if (typeof volume === 'string') parseVolume(volume);
      else if (!isRenderable(volume)) {
        throw new ConfigurationError(`volumes items must be strings or renderables, got ${JSON.stringify(volume)}`);
      }
    }
  }
  if (isPlainObject(settings.hostconfig)) {
    assertKnownHostConfigKeys(settings.hostconfig);
    // Without renderables inside, every value is known now: check them before any start.
    if (!containsRenderable(settings.hostconfig, 0)) toEngineHostConfig(settings.hostconfig);
  }

  return {
    dockerHost: settings.dockerHost,
    docker: settings.docker,
    image: settings.image,
    command,
    volumes: settings.volumes ?? [],
    dockerfile: settings.dockerfile,
    version,
    tls,
    followStartupLogs: checkBoolean('followStartupLogs', settings.followStartupLogs),
    hostconfig: settings.hostconfig ?? {},
    autopull: checkBoolean('autopull', settings.autopull),
    alwaysPull: checkBoolean('alwaysPull', settings.alwaysPull),
    customContext: settings.customContext ?? false,
    encoding: settings.encoding ?? 'gzip',
    buildargs: settings.buildargs,
    target: settings.target,
    hostname: settings.hostname,
  };
}
