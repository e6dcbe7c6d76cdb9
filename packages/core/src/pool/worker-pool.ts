import type { InstanceHandle } from '../contract/provider.js';
import { publishOutput } from '../diagnostics/channels.js';
import {
  CannotSubstantiateError,
  ConfigurationError,
  isAbortError,
  SubstantiationCancelledError,
  SubstantiationTimeoutError,
  WorkerShutDownError,
} from '../errors.js';
import { type Clock, systemClock } from '../lifecycle/clock.js';
import { type Listener, TypedEmitter } from '../lifecycle/events.js';
import type { BuildResult, LatentWorker } from '../lifecycle/latent-worker.js';
import { Quarantine } from '../lifecycle/quarantine.js';
import { OneShotTimer } from '../lifecycle/timer.js';
import { type Logger, type LogLevel, silentLogger } from '../logging/logger.js';
import { Properties } from '../renderables/index.js';
import { Redactor } from '../secrets/redactor.js';
import { generateWorkerPassword } from '../worker/index.js';
import type { WorkerPoolEvents } from './events.js';
import { type ResolvedPoolOptions, resolvePoolOptions, type WorkerPoolOptions } from './options.js';
import { SampleWindow, type WorkerPoolStats } from './stats.js';

export interface AcquireOptions {
  /** The build's properties: only a worker whose rendered start settings equal theirs serves it (the core's compatibility rule). */
  readonly properties?: Properties | undefined;
  /** Stops waiting: rejects with the signal's reason. No worker is leaked. */
  readonly signal?: AbortSignal | undefined;
  /** Seconds to wait before `SubstantiationTimeoutError`; overrides the pool's `acquireTimeout`. 0 waits for the signal. */
  readonly timeout?: number | undefined;
}

export interface ReleaseOptions {
  /** The build's result. `EXCEPTION` never puts the worker back in the idle set. */
  readonly result?: BuildResult | undefined;
}

/** One attached worker, lent to one build until `release()`. */
export interface WorkerLease<Instance extends InstanceHandle = InstanceHandle, Connection = unknown> {
  readonly name: string;
  readonly backend: string;
  readonly worker: LatentWorker<Instance>;
  /** The connection the worker attached with: whatever the master passed to `worker.attached()`. */
  readonly connection: Connection;
  /** The worker was idle before the request came (no start on the request path). */
  readonly warm: boolean;
  readonly waitedMs: number;
  readonly released: boolean;
  /** Ends the lease. Resolves once the worker is back in the idle set, or stopped. Idempotent. */
  release(options?: ReleaseOptions): Promise<void>;
}

export interface CloseOptions {
  /** Wait for every lease to be released before stopping its worker. Default false: leased workers are stopped now. */
  readonly drain?: boolean | undefined;
}

type Slot = 'starting' | 'idle' | 'leased' | 'stopping';

interface Backend<Instance extends InstanceHandle> {
  readonly name: string;
  readonly createWorker: ResolvedPoolOptions<Instance>['backends'][number]['createWorker'];
  readonly capacity: number;
  readonly quarantine: Quarantine;
  workers: number;
  failures: number;
}

interface PoolWorker<Instance extends InstanceHandle> {
  readonly name: string;
  readonly backend: Backend<Instance>;
  readonly worker: LatentWorker<Instance>;
  readonly startedAt: number;
  /** Started with the pool's warm-up properties: it serves any build that gave no properties of its own. */
  readonly warmUp: boolean;
  readonly idleTimer: OneShotTimer;
  slot: Slot;
  idleSince: number;
  /** Order in which workers became idle and waiters arrived: a lease is warm when the worker was idle first. */
  idleSequence: number;
  stopped: Promise<void> | undefined;
}

interface Waiter<Instance extends InstanceHandle, Connection> {
  readonly properties: Properties | undefined;
  readonly enqueuedAt: number;
  readonly sequence: number;
  readonly resolve: (lease: WorkerLease<Instance, Connection>) => void;
  readonly reject: (error: unknown) => void;
  readonly cleanup: () => void;
  /** The cold start launched for this waiter, while it runs. */
  start: PoolWorker<Instance> | undefined;
  /** The last pump pass that tried the idle workers for it. */
  examined: number;
  settled: boolean;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A pool of latent workers kept started *and attached* before anyone asks, over one or several
 * backends. `acquire()` leases an idle compatible worker at once, else cold-starts one (up to
 * `max`), else waits in FIFO order; `lease.release()` destroys the worker (or, with `reuse`, puts
 * it back). Warm-ups run in the background with bounded concurrency; a backend whose starts fail
 * is quarantined with the lifecycle's backoff (10, 20 … 3600 s) and the next backend is used.
 *
 * Guarantees: never more than `max` workers (nor a backend's `capacity`); a worker is leased to
 * one build at a time; every worker the pool created is shut down exactly once (its instance
 * stopped by the lifecycle); an aborted `acquire()` leaks nothing; after `close()` nothing runs.
 */
export class WorkerPool<Instance extends InstanceHandle = InstanceHandle, Connection = unknown> {
  readonly #options: ResolvedPoolOptions<Instance>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #redactor: Redactor;
  readonly #events: TypedEmitter<WorkerPoolEvents>;
  readonly #warmUpProperties: Readonly<Record<string, unknown>>;
  readonly #backends: Backend<Instance>[];
  readonly #names: readonly string[];
  readonly #passwords: ReadonlyMap<string, string>;
  readonly #freeNames: string[];
  readonly #workers = new Set<PoolWorker<Instance>>();
  readonly #waiters: Waiter<Instance, Connection>[] = [];
  readonly #leases = new Set<Lease<Instance, Connection>>();
  readonly #timeToLease = new SampleWindow();
  #startsInFlight = 0;
  #sequence = 0;
  #passes = 0;
  #failures = 0;
  #leaseCount = 0;
  #warmLeaseCount = 0;
  #lastFailure: Error | undefined;
  #pumping = false;
  #dirty = false;
  #closing: Promise<void> | undefined;
  #changed: (() => void) | undefined;
  readonly #warmWaiters = new Set<{ resolve: () => void; reject: (error: unknown) => void }>();

  constructor(options: WorkerPoolOptions<Instance>) {
    this.#options = resolvePoolOptions(options);
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#redactor = options.redactor ?? new Redactor();
    this.#warmUpProperties = options.warmUpProperties ?? {};
    const prefix = this.#options.namePrefix;
    this.#events = new TypedEmitter(
      (error) => this.#log('error', `pool ${prefix}: an event listener threw: ${errorMessage(error)}`),
      (event, payload) => publishOutput('event', `pool:${prefix}`, { event, payload }),
    );
    this.#names = Array.from({ length: this.#options.max }, (_, index) => `${prefix}-${index + 1}`);
    this.#freeNames = [...this.#names];
    const passwords = new Map<string, string>();
    for (const name of this.#names) {
      const password = generateWorkerPassword();
      this.#redactor.add(password);
      passwords.set(name, password);
    }
    this.#passwords = passwords;
    this.#backends = this.#options.backends.map((backend) => {
      const state: Backend<Instance> = {
        ...backend,
        workers: 0,
        failures: 0,
        quarantine: new Quarantine(this.#clock, {
          entered: (seconds) => {
            this.#log(
              'warn',
              `pool ${prefix}: backend ${backend.name} quarantined for ${seconds}s after a failed start`,
            );
            this.#events.emit('backend-quarantined', { backend: backend.name, seconds });
          },
          left: () => {
            this.#events.emit('backend-available', { backend: backend.name });
            this.#schedule();
          },
        }),
      };
      return state;
    });
    this.#schedule();
  }

  // ---------------------------------------------------------------- observation

  /** Every name a worker of this pool can have: `<prefix>-1` … `<prefix>-<max>`. Register them with the master in advance. */
  get workerNames(): readonly string[] {
    return this.#names;
  }

  /** The password of a worker name (stable for the pool's life; a secret), or undefined for a name not of this pool. */
  passwordOf(name: string): string | undefined {
    return this.#passwords.get(name);
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Resolves once `idle` workers are idle (at once if they are). Rejects with the signal's reason,
   * or `WorkerShutDownError` when the pool closes. A pool whose backends cannot hold `idle`
   * workers never gets there: pass a signal.
   */
  whenWarm(options: { readonly signal?: AbortSignal | undefined } = {}): Promise<void> {
    const { signal } = options;
    if (this.#closing) return Promise.reject(this.#closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#count('idle') >= this.#options.idle) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#warmWaiters.delete(entry);
        reject(signal?.reason);
      };
      const entry = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#warmWaiters.add(entry);
    });
  }

  #count(slot: Slot): number {
    let count = 0;
    for (const pooled of this.#workers) if (pooled.slot === slot) count += 1;
    return count;
  }

  stats(): WorkerPoolStats {
    const counts: Record<Slot, number> = { starting: 0, idle: 0, leased: 0, stopping: 0 };
    for (const worker of this.#workers) counts[worker.slot] += 1;
    return {
      ...counts,
      waiting: this.#waiters.length,
      total: this.#workers.size,
      failures: this.#failures,
      leases: this.#leaseCount,
      warmLeases: this.#warmLeaseCount,
      timeToLease: this.#timeToLease.summary(),
      backends: this.#backends.map((backend) => ({
        name: backend.name,
        workers: backend.workers,
        capacity: backend.capacity,
        quarantined: backend.quarantine.isQuarantined,
        failures: backend.failures,
      })),
    };
  }

  on<K extends keyof WorkerPoolEvents>(event: K, listener: Listener<WorkerPoolEvents[K]>): () => void {
    return this.#events.on(event, listener);
  }

  off<K extends keyof WorkerPoolEvents>(event: K, listener: Listener<WorkerPoolEvents[K]>): void {
    this.#events.off(event, listener);
  }

  // ---------------------------------------------------------------- acquire and release

  /**
   * Leases an attached worker compatible with `properties`: an idle one at once, else a cold start
   * (up to `max`), else the first one freed, in FIFO order. Rejects with the signal's reason,
   * `SubstantiationTimeoutError` after `timeout`, `CannotSubstantiateError` (or a render error)
   * when the build's own settings cannot start, `WorkerShutDownError` once the pool is closed.
   */
  acquire(options: AcquireOptions = {}): Promise<WorkerLease<Instance, Connection>> {
    const { signal } = options;
    if (this.#closing) return Promise.reject(this.#closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    const timeout = options.timeout ?? this.#options.acquireTimeout;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
      return Promise.reject(
        new ConfigurationError(`acquire timeout must be 0 or a positive number of seconds, got ${String(timeout)}`),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = new OneShotTimer(this.#clock);
      const onAbort = () => this.#giveUp(waiter, signal?.reason);
      const waiter: Waiter<Instance, Connection> = {
        properties: options.properties,
        enqueuedAt: this.#clock.now(),
        sequence: ++this.#sequence,
        resolve,
        reject,
        cleanup: () => {
          timer.stop();
          signal?.removeEventListener('abort', onAbort);
        },
        start: undefined,
        examined: 0,
        settled: false,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeout > 0) {
        timer.start(timeout, () => {
          const last = this.#lastFailure;
          this.#giveUp(
            waiter,
            new SubstantiationTimeoutError(
              `no worker of pool ${this.#options.namePrefix} became ready within ${timeout}s` +
                (last
                  ? `; the last start failed: ${last.message}`
                  : '; every worker is busy, raise max or the timeout'),
              last ? { cause: last } : {},
            ),
          );
        });
      }
      this.#waiters.push(waiter);
      this.#schedule();
    });
  }

  #giveUp(waiter: Waiter<Instance, Connection>, reason: unknown): void {
    if (waiter.settled) return;
    waiter.settled = true;
    waiter.cleanup();
    this.#removeWaiter(waiter);
    waiter.reject(reason);
    // A start launched for this waiter goes on: the next waiter that can use it gets it, else its
    // worker joins the idle set (trimmed after maxIdleTime).
    this.#handOver(waiter);
    this.#schedule();
  }

  /**
   * The start launched for a waiter that no longer needs it (served by another worker, or gone)
   * goes to the first waiter without one that the same start serves, instead of that waiter
   * launching a start of its own: in a burst every lease costs one start, not more.
   */
  #handOver(waiter: Waiter<Instance, Connection>): void {
    const start = waiter.start;
    waiter.start = undefined;
    if (start?.slot !== 'starting') return;
    const heir = this.#waiters.find((each) => !each.settled && !each.start && this.#serves(start, each));
    if (heir) heir.start = start;
  }

  /** A start in progress serves a waiter for sure (without rendering): both use the warm-up properties. */
  #serves(start: PoolWorker<Instance>, waiter: Waiter<Instance, Connection>): boolean {
    return start.warmUp && waiter.properties === undefined;
  }

  #ownerOf(pooled: PoolWorker<Instance>): Waiter<Instance, Connection> | undefined {
    return this.#waiters.find((each) => each.start === pooled);
  }

  #removeWaiter(waiter: Waiter<Instance, Connection>): void {
    const index = this.#waiters.indexOf(waiter);
    if (index >= 0) this.#waiters.splice(index, 1);
  }

  #lease(pooled: PoolWorker<Instance>, waiter: Waiter<Instance, Connection>): void {
    const now = this.#clock.now();
    const warm = pooled.slot === 'idle' && pooled.idleSequence < waiter.sequence;
    pooled.slot = 'leased';
    pooled.idleTimer.stop();
    waiter.settled = true;
    waiter.cleanup();
    this.#removeWaiter(waiter);
    this.#handOver(waiter);
    waiter.properties?.setProperty('workername', pooled.name, 'Worker');
    const waitedMs = now - waiter.enqueuedAt;
    const lease: Lease<Instance, Connection> = new Lease(pooled, warm, waitedMs, (result) =>
      this.#release(lease, pooled, result),
    );
    this.#leases.add(lease);
    this.#leaseCount += 1;
    if (warm) this.#warmLeaseCount += 1;
    this.#timeToLease.add(waitedMs);
    this.#events.emit('leased', { name: pooled.name, backend: pooled.backend.name, warm, waitedMs });
    waiter.resolve(lease);
  }

  #release(
    lease: Lease<Instance, Connection>,
    pooled: PoolWorker<Instance>,
    result: BuildResult | undefined,
  ): Promise<void> {
    this.#leases.delete(lease);
    this.#notifyChanged();
    if (pooled.slot !== 'leased') return pooled.stopped ?? Promise.resolve();
    const reused =
      this.#options.reuse && this.#closing === undefined && result !== 'EXCEPTION' && pooled.worker.substantiated;
    this.#events.emit('released', { name: pooled.name, backend: pooled.backend.name, result, reused });
    if (reused) {
      this.#becomeIdle(pooled);
      this.#schedule();
      return Promise.resolve();
    }
    const stopped = this.#destroy(pooled, result === 'EXCEPTION' ? 'released after an exception' : 'released');
    this.#schedule();
    return stopped;
  }

  // ---------------------------------------------------------------- the pump

  /** Runs one pass of serving, starting and refilling; passes never overlap, and a request during one runs another. */
  #schedule(): void {
    if (this.#pumping) {
      this.#dirty = true;
      return;
    }
    this.#pumping = true;
    void this.#pumpLoop();
  }

  async #pumpLoop(): Promise<void> {
    do {
      this.#dirty = false;
      try {
        await this.#pump();
      } catch (error) {
        this.#log('error', `pool ${this.#options.namePrefix}: ${errorMessage(error)}`);
      }
    } while (this.#dirty);
    this.#pumping = false;
  }

  async #pump(): Promise<void> {
    if (this.#closing) return;
    const pass = ++this.#passes;
    const began = await this.#serveFromIdle(pass);
    if (this.#closing) return;
    this.#startForWaiters(pass, began);
    this.#refill();
  }

  /**
   * Each waiter, in FIFO order (also those arriving meanwhile), takes the most recently idle worker
   * compatible with its build. Returns the sequence number the pass began at: workers idle since
   * before it were tried by every waiter the pass examined.
   */
  async #serveFromIdle(pass: number): Promise<number> {
    const began = this.#sequence;
    for (;;) {
      const waiter = this.#waiters.find((each) => !each.settled && each.examined !== pass);
      if (!waiter || this.#closing) break;
      waiter.examined = pass;
      const idle = [...this.#workers]
        .filter((pooled) => pooled.slot === 'idle')
        .sort((a, b) => b.idleSequence - a.idleSequence);
      for (const pooled of idle) {
        if (waiter.settled || this.#closing) break;
        if (pooled.slot !== 'idle') continue;
        if (!pooled.worker.substantiated) {
          this.#destroy(pooled, 'lost its connection while idle');
          continue;
        }
        let compatible: boolean;
        try {
          compatible = await pooled.worker.isCompatibleWithBuild(waiter.properties ?? new Properties());
        } catch (error) {
          // The build's own settings do not render: no worker can serve it.
          this.#giveUp(waiter, error);
          break;
        }
        if (compatible && !waiter.settled && pooled.slot === 'idle' && !this.#closing) this.#lease(pooled, waiter);
      }
    }
    return began;
  }

  /**
   * Cold starts for the waiters this pass examined and could not serve; when there is no room (at
   * `max`, or every backend taking starts is full), idle workers that every one of them found
   * incompatible make room (oldest first).
   */
  #startForWaiters(pass: number, began: number): void {
    let stranded = 0;
    for (const waiter of this.#waiters) {
      if (waiter.settled || waiter.start || waiter.examined !== pass) continue;
      if (this.#canStart()) this.#start(waiter.properties, waiter);
      else stranded += 1;
    }
    if (stranded === 0) return;
    // Room is what is missing: the pool is at max, or every backend that takes starts is full.
    const atMax = this.#workers.size >= this.#options.max;
    const healthy = this.#backends.filter((backend) => !backend.quarantine.isQuarantined);
    if (!atMax && (healthy.length === 0 || healthy.some((backend) => backend.workers < backend.capacity))) return;
    let stopping = 0;
    for (const pooled of this.#workers) if (pooled.slot === 'stopping') stopping += 1;
    const unwanted = [...this.#workers]
      .filter(
        (pooled) =>
          pooled.slot === 'idle' && pooled.idleSequence <= began && (atMax || !pooled.backend.quarantine.isQuarantined),
      )
      .sort((a, b) => a.idleSequence - b.idleSequence);
    for (const pooled of unwanted.slice(0, Math.max(0, stranded - stopping))) {
      this.#destroy(pooled, 'evicted: incompatible with the waiting builds');
    }
  }

  /** Warm-ups until `idle` workers are idle or starting for nobody in particular. */
  #refill(): void {
    let ready = 0;
    const forWaiters = new Set<PoolWorker<Instance>>();
    for (const waiter of this.#waiters) if (waiter.start) forWaiters.add(waiter.start);
    for (const pooled of this.#workers) {
      if (pooled.slot === 'idle' || (pooled.slot === 'starting' && !forWaiters.has(pooled))) ready += 1;
    }
    while (ready < this.#options.idle && this.#canStart()) {
      this.#start(undefined, undefined);
      ready += 1;
    }
  }

  #canStart(): boolean {
    return (
      this.#closing === undefined &&
      this.#workers.size < this.#options.max &&
      this.#startsInFlight < this.#options.startConcurrency &&
      this.#freeNames.length > 0 &&
      this.#pickBackend() !== undefined
    );
  }

  #pickBackend(): Backend<Instance> | undefined {
    return this.#backends.find((backend) => !backend.quarantine.isQuarantined && backend.workers < backend.capacity);
  }

  #start(buildProperties: Properties | undefined, waiter: Waiter<Instance, Connection> | undefined): void {
    const backend = this.#pickBackend();
    const name = this.#freeNames.shift();
    if (!backend || name === undefined) return;
    let worker: LatentWorker<Instance>;
    try {
      worker = backend.createWorker(name, { password: this.#passwords.get(name) as string, backend: backend.name });
      if (worker?.name !== name) {
        const got = worker?.name;
        void worker?.shutdown?.();
        throw new ConfigurationError(
          `the worker factory of backend ${backend.name} must create a worker named "${name}", got ${JSON.stringify(got)}`,
        );
      }
    } catch (error) {
      this.#freeNames.unshift(name);
      this.#freeNames.sort((a, b) => this.#names.indexOf(a) - this.#names.indexOf(b));
      this.#startFailed(backend, name, error, waiter);
      return;
    }
    const pooled: PoolWorker<Instance> = {
      name,
      backend,
      worker,
      startedAt: this.#clock.now(),
      warmUp: buildProperties === undefined,
      idleTimer: new OneShotTimer(this.#clock),
      slot: 'starting',
      idleSince: Number.POSITIVE_INFINITY,
      idleSequence: Number.POSITIVE_INFINITY,
      stopped: undefined,
    };
    this.#workers.add(pooled);
    backend.workers += 1;
    this.#startsInFlight += 1;
    if (waiter) waiter.start = pooled;
    const properties = buildProperties ?? this.#warmUpPropertiesFor();
    worker.substantiate(properties).then(
      () => {
        this.#startsInFlight -= 1;
        const owner = this.#ownerOf(pooled);
        if (owner) owner.start = undefined;
        if (pooled.slot !== 'starting') return;
        backend.quarantine.reset();
        const startMs = this.#clock.now() - pooled.startedAt;
        this.#log('info', `pool ${this.#options.namePrefix}: ${name} is ready on ${backend.name} (${startMs} ms)`);
        this.#events.emit('worker-ready', { name, backend: backend.name, startMs });
        this.#becomeIdle(pooled);
        this.#schedule();
      },
      (error: unknown) => {
        this.#startsInFlight -= 1;
        const owner = this.#ownerOf(pooled);
        if (owner) owner.start = undefined;
        if (pooled.slot === 'starting') {
          this.#startFailed(backend, name, error, owner);
          this.#destroy(pooled, 'its start failed');
        }
        this.#schedule();
      },
    );
  }

  #warmUpPropertiesFor(): Properties {
    const properties = new Properties();
    for (const [key, value] of Object.entries(this.#warmUpProperties)) properties.setProperty(key, value, 'Pool');
    return properties;
  }

  #startFailed(
    backend: Backend<Instance>,
    name: string,
    error: unknown,
    waiter: Waiter<Instance, Connection> | undefined,
  ): void {
    if (isAbortError(error) || error instanceof SubstantiationCancelledError || error instanceof WorkerShutDownError) {
      return;
    }
    const failure = this.#redactor.redactError(error instanceof Error ? error : new Error(String(error)));
    this.#failures += 1;
    backend.failures += 1;
    this.#lastFailure = failure;
    this.#log(
      'warn',
      `pool ${this.#options.namePrefix}: starting ${name} on ${backend.name} failed: ${failure.message}`,
    );
    this.#events.emit('start-failed', { name, backend: backend.name, error: failure });
    // The build's own settings cannot start anywhere: its waiter learns it now. A warm-up with such
    // settings, or an infrastructure failure, backs the backend off instead of retrying at once.
    const notTheBackend = failure instanceof CannotSubstantiateError || failure instanceof ConfigurationError;
    if (notTheBackend && waiter && !waiter.settled) this.#giveUp(waiter, failure);
    else backend.quarantine.put();
  }

  #becomeIdle(pooled: PoolWorker<Instance>): void {
    pooled.slot = 'idle';
    pooled.idleSince = this.#clock.now();
    pooled.idleSequence = ++this.#sequence;
    if (this.#warmWaiters.size > 0 && this.#count('idle') >= this.#options.idle) {
      for (const waiter of this.#warmWaiters) waiter.resolve();
      this.#warmWaiters.clear();
    }
    pooled.idleTimer.start(this.#options.maxIdleTime, () => {
      if (pooled.slot !== 'idle') return;
      if (this.#count('idle') > this.#options.idle)
        this.#destroy(pooled, `idle for maxIdleTime (${this.#options.maxIdleTime}s)`);
    });
  }

  /** Shuts the worker down (cancelling its start, stopping its instance); its name is free once stopped. */
  #destroy(pooled: PoolWorker<Instance>, reason: string): Promise<void> {
    if (pooled.stopped) return pooled.stopped;
    pooled.slot = 'stopping';
    pooled.idleTimer.stop();
    pooled.stopped = pooled.worker
      .shutdown()
      .catch((error: unknown) =>
        this.#log('error', `pool ${this.#options.namePrefix}: stopping ${pooled.name}: ${errorMessage(error)}`),
      )
      .then(() => {
        this.#workers.delete(pooled);
        pooled.backend.workers -= 1;
        this.#freeNames.push(pooled.name);
        this.#freeNames.sort((a, b) => this.#names.indexOf(a) - this.#names.indexOf(b));
        this.#events.emit('worker-stopped', { name: pooled.name, backend: pooled.backend.name, reason });
        this.#notifyChanged();
        this.#schedule();
      });
    return pooled.stopped;
  }

  // ---------------------------------------------------------------- close

  /**
   * Stops every worker: waiting `acquire()` calls get `WorkerShutDownError`, starts are cancelled,
   * idle workers stopped; leased workers are stopped now, or once released with `drain`.
   * Resolves when no worker is left. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#runClose(options.drain ?? false);
    return this.#closing;
  }

  async #runClose(drain: boolean): Promise<void> {
    for (const waiter of [...this.#waiters]) this.#giveUp(waiter, this.#closedError());
    for (const waiter of this.#warmWaiters) waiter.reject(this.#closedError());
    this.#warmWaiters.clear();
    for (const backend of this.#backends) backend.quarantine.stopTimer();
    for (const pooled of this.#workers) {
      if (pooled.slot !== 'leased' || !drain) this.#destroy(pooled, 'pool closed');
    }
    if (!drain) for (const lease of this.#leases) lease.revoke();
    while (this.#workers.size > 0 || (drain && this.#leases.size > 0)) {
      await new Promise<void>((resolve) => {
        this.#changed = resolve;
      });
    }
    this.#events.emit('closed', {});
  }

  #notifyChanged(): void {
    const changed = this.#changed;
    this.#changed = undefined;
    changed?.();
  }

  #closedError(): WorkerShutDownError {
    return new WorkerShutDownError(
      `pool ${this.#options.namePrefix} is closed and leases no more workers; create a new WorkerPool`,
    );
  }

  #log(level: LogLevel, message: string): void {
    const clean = this.#redactor.redact(message);
    publishOutput('log', `pool:${this.#options.namePrefix}`, clean);
    this.#logger.log(level, clean);
  }
}

class Lease<Instance extends InstanceHandle, Connection> implements WorkerLease<Instance, Connection> {
  readonly name: string;
  readonly backend: string;
  readonly worker: LatentWorker<Instance>;
  readonly connection: Connection;
  readonly warm: boolean;
  readonly waitedMs: number;
  readonly #end: (result: BuildResult | undefined) => Promise<void>;
  #released: Promise<void> | undefined;

  constructor(
    pooled: PoolWorker<Instance>,
    warm: boolean,
    waitedMs: number,
    end: (result: BuildResult | undefined) => Promise<void>,
  ) {
    this.#end = end;
    this.name = pooled.name;
    this.backend = pooled.backend.name;
    this.worker = pooled.worker;
    this.connection = pooled.worker.connection as Connection;
    this.warm = warm;
    this.waitedMs = waitedMs;
  }

  get released(): boolean {
    return this.#released !== undefined;
  }

  release(options: ReleaseOptions = {}): Promise<void> {
    this.#released ??= this.#end(options.result);
    return this.#released;
  }

  /** The pool closed without draining: the worker is being stopped; `release()` just waits for it. */
  revoke(): void {
    this.release();
  }
}
