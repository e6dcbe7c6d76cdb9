import type { InstanceHandle, Provider } from '../contract/provider.js';
import { ConfigurationError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { MIN_REDACTED_LENGTH, type Redactor } from '../secrets/redactor.js';
import type { Clock } from './clock.js';

/** Default `buildWaitTimeout` of the core, in seconds (Buildbot's 600). Container providers default it to 0. */
export const DEFAULT_BUILD_WAIT_TIMEOUT = 600;
/** Default `missingTimeout` (the substantiation timeout), in seconds. */
export const DEFAULT_MISSING_TIMEOUT = 3600;
/** Default `checkInstanceInterval`, in seconds. */
export const DEFAULT_CHECK_INSTANCE_INTERVAL = 10;
/**
 * Smallest `checkInstanceInterval`, in seconds: a smaller value is raised to it, so a typo such
 * as `1e-6` cannot make the worker poll its backend thousands of times a second.
 */
export const MIN_CHECK_INSTANCE_INTERVAL = 0.05;
/** Default `stopTimeout`, in seconds: how long one `stopInstance` may take before it is aborted. */
export const DEFAULT_STOP_TIMEOUT = 600;
/** Default master port (`BUILDMASTER_PORT`). */
export const DEFAULT_MASTER_PORT = 9989;
/** Default worker protocol (`BUILDMASTER_PROTOCOL`). */
export const DEFAULT_MASTER_PROTOCOL = 'pb';

/**
 * Options of a `LatentWorker`: Buildbot's names in camelCase, durations in SECONDS like Buildbot.
 */
export interface LatentWorkerOptions<Instance extends InstanceHandle = InstanceHandle> {
  /** The worker's name (`WORKERNAME`); also the build property `workername`. */
  readonly name: string;
  /** The worker's password (`WORKERPASS`). Absent: a random one, kept while an instance runs. */
  readonly password?: string | undefined;
  /** The provider that starts and stops instances (contract v1). */
  readonly provider: Provider<Instance>;
  /** Stable identifier of the master; hashed into instance names and put in the owner labels. */
  readonly masterId: string;
  /** Port the worker connects to, unless `masterFQDN` carries one. Default 9989. */
  readonly masterPort?: number | undefined;
  /** Host (or `host:port`, `[v6]:port`) the worker connects to. Default: this machine's FQDN. */
  readonly masterFQDN?: string | undefined;
  /** `BUILDMASTER_PROTOCOL`. Default `pb`. */
  readonly masterProtocol?: string | undefined;
  /** Idle seconds before the instance is stopped: 0 at once, > 0 after that long, < 0 never. Default 600. */
  readonly buildWaitTimeout?: number | undefined;
  /** Seconds a substantiation may take, from request to attach; 0 disables. Default 3600. */
  readonly missingTimeout?: number | undefined;
  /** Seconds between health checks while waiting for the worker to attach. Default 10; at least 0.05 (smaller values are raised to it). */
  readonly checkInstanceInterval?: number | undefined;
  /**
   * Seconds one `stopInstance` may take before its `AbortSignal` aborts; 0 disables. A backend that
   * stops answering cannot then hold the worker (and `shutdown()`) forever; what it may have left
   * running carries the owner labels, for `reapOrphans`. Default 600. Not in Buildbot.
   */
  readonly stopTimeout?: number | undefined;
  /** Maximum concurrent builds on this worker. Default: no limit. */
  readonly maxBuilds?: number | undefined;
  /** Properties set on every build this worker runs (source `Worker`). */
  readonly properties?: Readonly<Record<string, unknown>> | undefined;
  /** Where log lines go (already redacted). Default: silent. */
  readonly logger?: Logger | undefined;
  /** Time source for every timer. Default: the system clock. */
  readonly clock?: Clock | undefined;
  /** Aborting it shuts the worker down (like `shutdown()`). */
  readonly signal?: AbortSignal | undefined;
  /** Shares secret redaction with other parts of the master (e.g. `%(secret:…)s` values). */
  readonly redactor?: Redactor | undefined;
}

/** The timing and limit options after defaults and validation. */
export interface ResolvedTimings {
  readonly buildWaitTimeout: number;
  readonly missingTimeout: number;
  readonly checkInstanceInterval: number;
  readonly stopTimeout: number;
  readonly maxBuilds: number | undefined;
  readonly masterPort: number;
  readonly masterProtocol: string;
}

function finiteNumber(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigurationError(`${name} must be a finite number of seconds, got ${String(value)}`);
  }
  return value;
}

/** Validates the options that do not need other modules, and applies the defaults. */
export function resolveTimings(options: LatentWorkerOptions<InstanceHandle>): ResolvedTimings {
  if (typeof options.name !== 'string' || options.name.length === 0) {
    throw new ConfigurationError('name must be a non-empty string: the worker name the instance connects with');
  }
  if (typeof options.masterId !== 'string' || options.masterId.length === 0) {
    throw new ConfigurationError(
      `worker "${options.name}": masterId must be a non-empty string identifying this master (used to name and label instances)`,
    );
  }
  if (options.password !== undefined && (typeof options.password !== 'string' || options.password.length === 0)) {
    throw new ConfigurationError(
      `worker "${options.name}": password must be a non-empty string, or left out to generate one`,
    );
  }
  // The redactor cannot hide a password shorter than MIN_REDACTED_LENGTH, nor one printed line by
  // line: such passwords are refused rather than printed in clear.
  if (options.password !== undefined && options.password.length < MIN_REDACTED_LENGTH) {
    throw new ConfigurationError(
      `worker "${options.name}": password must have at least ${MIN_REDACTED_LENGTH} characters (a shorter one could not be kept out of logs), or be left out to generate one`,
    );
  }
  if (options.password !== undefined && /[\u0000-\u001f\u007f]/.test(options.password)) {
    throw new ConfigurationError(
      `worker "${options.name}": password must not contain line breaks or other control characters (they could not be kept out of logs)`,
    );
  }
  const buildWaitTimeout = finiteNumber('buildWaitTimeout', options.buildWaitTimeout, DEFAULT_BUILD_WAIT_TIMEOUT);
  const missingTimeout = finiteNumber('missingTimeout', options.missingTimeout, DEFAULT_MISSING_TIMEOUT);
  if (missingTimeout < 0) {
    throw new ConfigurationError(
      `missingTimeout must be 0 (disabled) or a positive number of seconds, got ${missingTimeout}`,
    );
  }
  const checkInstanceInterval = finiteNumber(
    'checkInstanceInterval',
    options.checkInstanceInterval,
    DEFAULT_CHECK_INSTANCE_INTERVAL,
  );
  if (checkInstanceInterval <= 0) {
    throw new ConfigurationError(
      `checkInstanceInterval must be a positive number of seconds, got ${checkInstanceInterval}`,
    );
  }
  const maxBuilds = options.maxBuilds;
  if (maxBuilds !== undefined && (!Number.isInteger(maxBuilds) || maxBuilds < 1)) {
    throw new ConfigurationError(
      `maxBuilds must be a positive integer or left out for no limit, got ${String(maxBuilds)}`,
    );
  }
  const masterPort = options.masterPort ?? DEFAULT_MASTER_PORT;
  if (!Number.isInteger(masterPort) || masterPort < 1 || masterPort > 65535) {
    throw new ConfigurationError(`masterPort must be an integer between 1 and 65535, got ${String(masterPort)}`);
  }
  const masterProtocol = options.masterProtocol ?? DEFAULT_MASTER_PROTOCOL;
  if (typeof masterProtocol !== 'string' || masterProtocol.length === 0) {
    throw new ConfigurationError('masterProtocol must be a non-empty string such as "pb" or "msgpack_experimental_v7"');
  }
  const stopTimeout = finiteNumber('stopTimeout', options.stopTimeout, DEFAULT_STOP_TIMEOUT);
  if (stopTimeout < 0) {
    throw new ConfigurationError(
      `stopTimeout must be 0 (disabled) or a positive number of seconds, got ${stopTimeout}`,
    );
  }
  return {
    buildWaitTimeout,
    missingTimeout,
    checkInstanceInterval: Math.max(checkInstanceInterval, MIN_CHECK_INSTANCE_INTERVAL),
    stopTimeout,
    maxBuilds,
    masterPort,
    masterProtocol,
  };
}
