import type { Provider } from '@latentci/core';

/** The `worker` section of a config: `LatentWorker` options in Buildbot's names, durations in seconds. */
export interface WorkerSection {
  /** The worker name (`WORKERNAME`). */
  readonly name: string;
  /** The worker password (`WORKERPASS`). Left out: a random one. Never printed. */
  readonly password?: string;
  /** Identifies the master; instances are labelled with it (`ls`/`reap` find them by it). Default `latentci-cli`. */
  readonly masterId?: string;
  /** Where the worker connects: `host`, `host:port` or `[v6]:port`. Default: the Docker bridge gateway `172.17.0.1`. */
  readonly masterFQDN?: string;
  /** The master port when `masterFQDN` has none. Default 9989. */
  readonly masterPort?: number;
  /** `BUILDMASTER_PROTOCOL`. Default `pb`. */
  readonly masterProtocol?: string;
  /** Seconds the worker may take to attach. `latentci try` uses `--timeout` instead. */
  readonly missingTimeout?: number;
  /** Seconds between health checks while waiting for the worker. Default in the CLI: 1. */
  readonly checkInstanceInterval?: number;
  /** Idle seconds before the instance is stopped (for code that drives the lifecycle). */
  readonly buildWaitTimeout?: number;
  /** Maximum concurrent builds. */
  readonly maxBuilds?: number;
  /** Properties set on every build of this worker. */
  readonly properties?: Readonly<Record<string, unknown>>;
}

/**
 * A worker config: which provider starts the instance, its settings, and the worker's options.
 *
 * In a JSON file `provider` is a package name (`@latentci/docker`, `@latentci/hyper`,
 * `@latentci/marathon` or a third-party provider package); a JS/TS config module may also give a
 * provider object it created itself (then `settings` is not used).
 */
export interface WorkerConfig {
  readonly provider: string | Provider;
  /** The provider's settings, passed to the package's `createProvider(settings)`. */
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly worker: WorkerSection;
}

/** A config as loaded from a file: where it came from decides where its provider package is looked up. */
export interface LoadedWorkerConfig extends WorkerConfig {
  /** The config file, when loaded from one. */
  readonly file?: string;
  /** The directory provider packages are resolved from first (the config file's directory). */
  readonly directory: string;
}

/** Default `masterId` of instances started by the CLI. */
export const DEFAULT_MASTER_ID = 'latentci-cli';
/** Default host the worker is told to connect to: where containers on Docker's default bridge reach the host. */
export const DEFAULT_MASTER_HOST = '172.17.0.1';
/** Buildbot's default master port. */
export const DEFAULT_MASTER_PORT = 9989;
/** `checkInstanceInterval` of `latentci try` when the config has none: a crash shows within a second. */
export const DEFAULT_CLI_CHECK_INTERVAL = 1;
