import type { MasterAddress } from '../contract/provider.js';
import { ConfigurationError } from '../errors.js';

export interface WorkerEnvironmentOptions {
  /** The parsed `masterFQDN` (or the default master host). */
  readonly master: MasterAddress;
  /** The master's worker port, used unless `master.port` is given. */
  readonly masterPort: number;
  /** `BUILDMASTER_PROTOCOL`; default `pb`. */
  readonly masterProtocol?: string | undefined;
  readonly workerName: string;
  /** A secret: never logged, and never shown in an error message. */
  readonly password: string;
}

/**
 * The five variables a Buildbot worker image reads, in Buildbot's order: `BUILDMASTER` (the host;
 * an IPv6 address without brackets), `BUILDMASTER_PORT` (the port of `masterFQDN` when it has one,
 * else `masterPort` — Buildbot's precedence), `BUILDMASTER_PROTOCOL`, `WORKERNAME`, `WORKERPASS`.
 * Throws `ConfigurationError` for an empty host, worker name or protocol, a port outside
 * 1–65535, or a NUL character in any value.
 */
export function workerEnvironment(options: WorkerEnvironmentOptions): Record<string, string> {
  const { master, masterPort, workerName, password } = options;
  const masterProtocol = options.masterProtocol ?? 'pb';
  const port = master.port ?? masterPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigurationError(`the master port must be an integer from 1 to 65535, got ${String(port)}`);
  }
  requireText('the master host (BUILDMASTER)', master.host);
  requireText('the master protocol (BUILDMASTER_PROTOCOL)', masterProtocol);
  requireText('the worker name (WORKERNAME)', workerName);
  if (typeof password !== 'string') throw new ConfigurationError('the worker password (WORKERPASS) must be a string');
  if (password.includes('\u0000'))
    throw new ConfigurationError('the worker password (WORKERPASS) contains a NUL character');
  return {
    BUILDMASTER: master.host,
    BUILDMASTER_PORT: String(port),
    BUILDMASTER_PROTOCOL: masterProtocol,
    WORKERNAME: workerName,
    WORKERPASS: password,
  };
}

function requireText(what: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') {
    throw new ConfigurationError(`${what} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  if (value.includes('\u0000'))
    throw new ConfigurationError(`${what} contains a NUL character: ${JSON.stringify(value)}`);
}
