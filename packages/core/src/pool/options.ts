import type { InstanceHandle } from '../contract/provider.js';
import { ConfigurationError } from '../errors.js';
import type { Clock } from '../lifecycle/clock.js';
import type { LatentWorker } from '../lifecycle/latent-worker.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../secrets/redactor.js';

/** What a worker factory is told besides the worker's name. */
export interface WorkerFactoryContext {
  /** The password the pool generated for this name, stable for the pool's life. Pass it on so a master can register it in advance. A secret. */
  readonly password: string;
  /** The backend the worker is created for. */
  readonly backend: string;
}

/**
 * Creates the `LatentWorker` of one pool slot: any provider's worker factory fits
 * (`(name, { password }) => dockerLatentWorker({ name, password, … })`). The worker must have the
 * given name. The pool calls it for every warm-up: a destroyed worker is never started again.
 */
export type WorkerFactory<Instance extends InstanceHandle = InstanceHandle> = (
  name: string,
  context: WorkerFactoryContext,
) => LatentWorker<Instance>;

/** One backend of a pool: a worker factory and how many workers it may hold at once. */
export interface PoolBackend<Instance extends InstanceHandle = InstanceHandle> {
  /** Shown in stats, events and errors. Default `backend-<n>` (1-based, in preference order). */
  readonly name?: string | undefined;
  readonly createWorker: WorkerFactory<Instance>;
  /** Most workers (starting, idle, leased or stopping) on this backend at once. Default: the pool's `max`. */
  readonly capacity?: number | undefined;
}

/** Options of a `WorkerPool`. Durations in seconds, like the lifecycle's. */
export interface WorkerPoolOptions<Instance extends InstanceHandle = InstanceHandle> {
  /** Workers are named `<namePrefix>-1` … `<namePrefix>-<max>` (see `pool.workerNames`). */
  readonly namePrefix: string;
  /** Most workers of the pool at once, in any state. */
  readonly max: number;
  /** Attached workers kept ready for the next `acquire()`. Default 1; at most `max`. */
  readonly idle?: number | undefined;
  /** A single backend's factory; give either this or `backends`. */
  readonly createWorker?: WorkerFactory<Instance> | undefined;
  /** Backends in order of preference: starts go to the first one with room that is not quarantined. */
  readonly backends?: readonly PoolBackend<Instance>[] | undefined;
  /** Seconds an idle worker beyond the `idle` target is kept before it is stopped. Default 300; 0 stops it at once. */
  readonly maxIdleTime?: number | undefined;
  /**
   * Off (default): a released worker is destroyed and a fresh one warms up (ephemeral workers).
   * On: it goes back to the idle set (Buildbot's `build_wait_timeout`), unless the build ended
   * with `EXCEPTION` or the worker lost its connection.
   */
  readonly reuse?: boolean | undefined;
  /** Most starts in progress at once (warm-ups and cold starts). Default 4. */
  readonly startConcurrency?: number | undefined;
  /** Seconds an `acquire()` waits before it fails with `SubstantiationTimeoutError`; 0 (default) waits until its signal aborts. */
  readonly acquireTimeout?: number | undefined;
  /** Build properties warm-ups are started for (source `Pool`): their rendered start settings decide which builds a warm worker serves. */
  readonly warmUpProperties?: Readonly<Record<string, unknown>> | undefined;
  readonly clock?: Clock | undefined;
  /** Where the pool logs (redacted). Default: silent. */
  readonly logger?: Logger | undefined;
  /** Shares secret redaction with the master; the pool adds its passwords to it. */
  readonly redactor?: Redactor | undefined;
}

export interface ResolvedPoolOptions<Instance extends InstanceHandle> {
  readonly namePrefix: string;
  readonly max: number;
  readonly idle: number;
  readonly maxIdleTime: number;
  readonly reuse: boolean;
  readonly startConcurrency: number;
  readonly acquireTimeout: number;
  readonly backends: readonly {
    readonly name: string;
    readonly createWorker: WorkerFactory<Instance>;
    readonly capacity: number;
  }[];
}

function count(name: string, value: unknown, minimum: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new ConfigurationError(`pool option ${name} must be an integer >= ${minimum}, got ${String(value)}`);
  }
  return value;
}

function seconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(`pool option ${name} must be 0 or a positive number of seconds, got ${String(value)}`);
  }
  return value;
}

/** Validates the options (`ConfigurationError` naming the option) and applies the defaults. */
export function resolvePoolOptions<Instance extends InstanceHandle>(
  options: WorkerPoolOptions<Instance>,
): ResolvedPoolOptions<Instance> {
  if (typeof options.namePrefix !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(options.namePrefix)) {
    throw new ConfigurationError(
      `pool option namePrefix must be a worker name prefix of letters, digits, "_", "." and "-", got ${JSON.stringify(options.namePrefix)}`,
    );
  }
  const max = count('max', options.max, 1);
  const idle = count('idle', options.idle, 0, Math.min(1, max));
  if (idle > max) throw new ConfigurationError(`pool option idle (${idle}) cannot exceed max (${max})`);
  if ((options.createWorker === undefined) === (options.backends === undefined)) {
    throw new ConfigurationError('give a pool either createWorker (one backend) or backends (several), not both');
  }
  const given = options.backends ?? [{ createWorker: options.createWorker as WorkerFactory<Instance> }];
  if (given.length === 0) throw new ConfigurationError('pool option backends must list at least one backend');
  const names = new Set<string>();
  const backends = given.map((backend, index) => {
    const name = backend.name ?? `backend-${index + 1}`;
    if (names.has(name)) throw new ConfigurationError(`pool backends must have distinct names; "${name}" is repeated`);
    names.add(name);
    if (typeof backend.createWorker !== 'function') {
      throw new ConfigurationError(
        `pool backend "${name}": createWorker must be a function (name, context) => LatentWorker`,
      );
    }
    return {
      name,
      createWorker: backend.createWorker,
      capacity: count(`capacity of ${name}`, backend.capacity, 1, max),
    };
  });
  return {
    namePrefix: options.namePrefix,
    max,
    idle,
    maxIdleTime: seconds('maxIdleTime', options.maxIdleTime, 300),
    reuse: options.reuse ?? false,
    startConcurrency: count('startConcurrency', options.startConcurrency, 1, 4),
    acquireTimeout: seconds('acquireTimeout', options.acquireTimeout, 0),
    backends,
  };
}
