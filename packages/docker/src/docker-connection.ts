import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '@latentci/core';
import Dockerode from 'dockerode';

/** A PEM text, or the path of a PEM file. */
export type PemSource = string | Buffer;

/** TLS settings for a `tcp://`/`https://` engine (Buildbot's `tls`, docker-py's `TLSConfig`). */
export interface DockerTlsSettings {
  /** CA certificate(s) that sign the engine's certificate. Default: Node's trusted CAs. */
  readonly ca?: PemSource;
  /** Client certificate presented to the engine. */
  readonly cert?: PemSource;
  /** Private key of the client certificate. A secret: never logged. */
  readonly key?: PemSource;
  /** Verify the engine's certificate (default true). `false` is only for throwaway test engines. */
  readonly verify?: boolean;
}

/** `true` = TLS with Node's trusted CAs and no client certificate. */
export type DockerTls = boolean | DockerTlsSettings;

/** Where the engine listens, parsed from a `dockerHost` URL. */
export type DockerEndpoint =
  | { readonly kind: 'socket'; readonly socketPath: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tls: boolean };

/** The local socket Docker listens on by default. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** `dockerHost` when given, else `DOCKER_HOST`, else the local socket (docker CLI's order). */
export function defaultDockerHost(environment: NodeJS.ProcessEnv = process.env): string {
  const fromEnvironment = environment.DOCKER_HOST?.trim();
  return fromEnvironment ? fromEnvironment : DEFAULT_DOCKER_HOST;
}

/** TLS from `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`, as the docker CLI reads them; undefined when not set. */
export function tlsFromEnvironment(environment: NodeJS.ProcessEnv = process.env): DockerTlsSettings | undefined {
  if (!environment.DOCKER_TLS_VERIFY) return undefined;
  const directory = environment.DOCKER_CERT_PATH || join(homedir(), '.docker');
  return {
    ca: join(directory, 'ca.pem'),
    cert: join(directory, 'cert.pem'),
    key: join(directory, 'key.pem'),
    verify: true,
  };
}

function badHost(dockerHost: string, why: string): ConfigurationError {
  return new ConfigurationError(
    `dockerHost "${dockerHost}" ${why}: use unix:///path/to/docker.sock, tcp://host:port, or https://host:port (with the tls option)`,
  );
}

/**
 * Parses a `dockerHost` (`unix://`, `npipe://`, `tcp://`, `http://`, `https://`, or a bare
 * `host:port` treated as `tcp://`). `tcp://` uses TLS when `tls` is set; `https://` always does.
 */
export function parseDockerHost(dockerHost: string, tls: boolean): DockerEndpoint {
  const trimmed = dockerHost.trim();
  if (trimmed.length === 0) throw badHost(dockerHost, 'is empty');
  if (trimmed.startsWith('unix://')) {
    const socketPath = trimmed.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw badHost(dockerHost, 'has no absolute socket path after unix://');
    return { kind: 'socket', socketPath };
  }
  if (trimmed.startsWith('npipe://')) return { kind: 'socket', socketPath: trimmed.slice('npipe://'.length) };
  if (trimmed.startsWith('ssh://')) {
    throw badHost(dockerHost, 'uses ssh://, which latentci does not support; expose the engine over tcp:// with TLS');
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `tcp://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw badHost(dockerHost, 'is not a valid URL');
  }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme !== 'tcp' && scheme !== 'http' && scheme !== 'https') {
    throw badHost(dockerHost, `has the unsupported scheme ${scheme}://`);
  }
  if (url.hostname.length === 0) throw badHost(dockerHost, 'has no host');
  const secure = scheme === 'https' || (scheme === 'tcp' && tls);
  const port = url.port ? Number(url.port) : secure ? 2376 : 2375;
  return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port, tls: secure };
}

/** Normalizes Buildbot's `version` (`"1.41"`, `"v1.41"`; `"auto"` = negotiate) to dockerode's `v1.41`. */
export function normalizeApiVersion(version: string | undefined): string | undefined {
  if (version === undefined || version === 'auto') return undefined;
  const match = /^v?(\d+\.\d+)$/.exec(version.trim());
  if (!match) {
    throw new ConfigurationError(`version "${version}" is not a Docker API version: write it like "1.41" (or "auto")`);
  }
  return `v${match[1]}`;
}

function readPem(source: PemSource | undefined, field: string): Buffer | undefined {
  if (source === undefined) return undefined;
  if (Buffer.isBuffer(source)) return source;
  if (source.includes('-----BEGIN')) return Buffer.from(source, 'utf8');
  try {
    return readFileSync(source);
  } catch (error) {
    throw new ConfigurationError(
      `cannot read tls.${field} from "${source}" (${(error as NodeJS.ErrnoException).code ?? String(error)}): give a readable PEM file path or the PEM text itself`,
      { cause: error },
    );
  }
}

/** TLS material read once: PEM buffers and whether to verify. */
export interface LoadedTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly verify: boolean;
}

/** Reads the PEM files of `tls` (paths or PEM text). Throws `ConfigurationError` for unreadable files. */
export function loadTls(tls: DockerTls | undefined): LoadedTls | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return { verify: true };
  const ca = readPem(tls.ca, 'ca');
  const cert = readPem(tls.cert, 'cert');
  const key = readPem(tls.key, 'key');
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigurationError(
      'tls.cert and tls.key go together: give both (client certificate and its key) or neither',
    );
  }
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    verify: tls.verify ?? true,
  };
}

/**
 * Creates a dockerode client for one engine. Environment defaults of dockerode (`DOCKER_HOST`,
 * `DOCKER_CERT_PATH`) never leak into an explicit `dockerHost`.
 */
export function createDockerClient(
  dockerHost: string,
  tls: LoadedTls | undefined,
  version: string | undefined,
): Dockerode {
  const endpoint = parseDockerHost(dockerHost, tls !== undefined);
  const base = { version, host: undefined, port: undefined, ca: undefined, cert: undefined, key: undefined };
  if (endpoint.kind === 'socket') {
    return new Dockerode({ ...base, socketPath: endpoint.socketPath, protocol: 'http' } as Dockerode.DockerOptions);
  }
  if (!endpoint.tls) {
    return new Dockerode({
      ...base,
      host: endpoint.host,
      port: endpoint.port,
      protocol: 'http',
    } as Dockerode.DockerOptions);
  }
  const material = tls ?? { verify: true };
  const agent = new HttpsAgent({
    keepAlive: false,
    rejectUnauthorized: material.verify,
    ...(material.ca === undefined ? {} : { ca: material.ca }),
    ...(material.cert === undefined ? {} : { cert: material.cert }),
    ...(material.key === undefined ? {} : { key: material.key }),
  });
  return new Dockerode({
    ...base,
    host: endpoint.host,
    port: endpoint.port,
    protocol: 'https',
    ca: material.ca,
    cert: material.cert,
    key: material.key,
    agent,
  } as Dockerode.DockerOptions);
}
