import { assertProvider } from '../contract/assert-provider.js';
import type {
  InstanceEventSink,
  InstanceHandle,
  MasterAddress,
  Provider,
  StartInstanceRequest,
  StopTarget,
} from '../contract/provider.js';
import { publishOutput } from '../diagnostics/channels.js';
import { outputObserved } from '../diagnostics/output-observed.js';
import {
  BackendError,
  CannotSubstantiateError,
  ConfigurationError,
  FailedToSubstantiateError,
  isRetryableFailure,
  type LatentErrorCode,
  latentErrorCode,
  SubstantiationCancelledError,
  SubstantiationTimeoutError,
  WorkerCrashedError,
  WorkerShutDownError,
} from '../errors.js';
import { type Logger, type LogLevel, silentLogger } from '../logging/logger.js';
import { Properties } from '../renderables/index.js';
import { Redactor } from '../secrets/redactor.js';
import {
  createStartInstanceRequest,
  generateWorkerPassword,
  parseMasterAddress,
  resolveDefaultMasterHost,
} from '../worker/index.js';
import { type Clock, systemClock } from './clock.js';
import { ConnectionRejectedError } from './connection-rejected-error.js';
import { type LatentWorkerEvents, type Listener, TypedEmitter } from './events.js';
import { Mutex } from './mutex.js';
import { Notifier } from './notifier.js';
import { type LatentWorkerOptions, type ResolvedTimings, resolveTimings } from './options.js';
import { Quarantine } from './quarantine.js';
import { isSubstantiating, LatentWorkerState } from './state.js';
import { structurallyEqual } from './structural-equal.js';
import { OneShotTimer } from './timer.js';

/** The codes of `FailedToSubstantiateError` and its subclasses: a failed start, retried. */
const FAILED_TO_SUBSTANTIATE_CODES: ReadonlySet<LatentErrorCode> = new Set<LatentErrorCode>([
  'FAILED_TO_SUBSTANTIATE',
  'SUBSTANTIATION_TIMEOUT',
  'WORKER_CRASHED',
]);

/** Buildbot's build results, as a master reports them to `buildFinished`. */
export type BuildResult = 'SUCCESS' | 'WARNINGS' | 'FAILURE' | 'SKIPPED' | 'EXCEPTION' | 'RETRY' | 'CANCELLED';

export interface SubstantiateOptions {
  /** Stops waiting (rejects with the signal's reason). When every waiter gave up, the start is cancelled. */
  readonly signal?: AbortSignal | undefined;
}

export interface InsubstantiateOptions {
  /** Passed to `stopInstance`: return as soon as it is safe. */
  readonly fast?: boolean | undefined;
  /** Stops waiting for the stop; the stop itself still completes. */
  readonly signal?: AbortSignal | undefined;
}

export interface AttachOptions {
  /**
   * The master's own preparation of the attached worker (Buildbot: send the builder list). If it
   * throws, the substantiation fails like a failed start: waiters get `FailedToSubstantiateError`,
   * the worker is quarantined and the instance stopped.
   */
  readonly setup?: ((signal: AbortSignal) => Promise<void>) | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface BuildFinishedOptions {
  /** The build's result. `EXCEPTION` quarantines the worker; anything but `RETRY`/`EXCEPTION` resets the backoff. */
  readonly result?: BuildResult | undefined;
}

/** One call of `startInstance`, owed exactly one `stopInstance`. */
interface StartRecord<Instance extends InstanceHandle> {
  readonly request: StartInstanceRequest;
  readonly provider: Provider<Instance>;
  readonly abort: AbortController;
  readonly hasSettings: boolean;
  readonly settings: unknown;
  instance: Instance | undefined;
  /** A stop (insubstantiate, shutdown) took over this start: it owns the stop. */
  cancelled: boolean;
  /** The last `pending` reason the health check gave (redacted), for the missing-timeout message. */
  pending?: string | undefined;
}

const NO_CONNECTION = Symbol('no connection');

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describePeer(connection: unknown): string {
  if (typeof connection === 'object' && connection !== null && 'peer' in connection) {
    return String((connection as { peer: unknown }).peer);
  }
  return typeof connection === 'string' ? connection : 'a worker connection';
}

/**
 * A latent worker: Buildbot's `AbstractLatentWorker` for Node. The master asks it to
 * `substantiate()` (a provider starts an instance whose worker connects back); tells it when the
 * worker `attached()` / `detached()` and when builds start and finish; the worker stops the
 * instance when idle (`buildWaitTimeout`) and on `shutdown()`.
 *
 * Guarantees: one instance at most; `startInstance`/`stopInstance`/`checkInstance` never overlap;
 * every `startInstance` is followed by exactly one `stopInstance` (also after a failed or aborted
 * start); a substantiation requested during a stop is queued; a stop during a start cancels it;
 * concurrent `substantiate()` calls share one result.
 */
export class LatentWorker<Instance extends InstanceHandle = InstanceHandle> {
  readonly name: string;

  #provider: Provider<Instance>;
  #timings: ResolvedTimings;
  #masterId: string;
  #masterFQDN: MasterAddress | undefined;
  #defaultMaster: MasterAddress | undefined;
  #password: string;
  #workerProperties: Readonly<Record<string, unknown>>;
  #logger: Logger;
  readonly #clock: Clock;
  readonly #redactor: Redactor;
  readonly #events: TypedEmitter<LatentWorkerEvents>;

  #state: LatentWorkerState = LatentWorkerState.NOT_SUBSTANTIATED;
  #connection: unknown = NO_CONNECTION;
  readonly #notifier = new Notifier();
  readonly #mutex = new Mutex();
  readonly #missingTimer: OneShotTimer;
  readonly #buildWaitTimer: OneShotTimer;
  readonly #checkTimer: OneShotTimer;
  #stopDeadline: OneShotTimer | undefined;
  readonly #quarantine: Quarantine;
  #paused = false;
  #busyBuilds = 0;
  #current: StartRecord<Instance> | undefined;
  #pendingProperties: Properties | undefined;
  #attempt = 0;
  #stopping: Promise<void> | undefined;
  readonly #background = new Set<Promise<unknown>>();
  #shutdown: Promise<void> | undefined;
  #signal: AbortSignal | undefined;
  /** Where the instance's output and progress go: one sink for every start, made at the first. */
  #instanceEvents: InstanceEventSink | undefined;

  #instanceEventSink(): InstanceEventSink {
    this.#instanceEvents ??= {
      log: (line, stream = 'stdout') => {
        const clean = this.#redactor.redact(line);
        this.#log('debug', `worker ${this.name}: ${clean}`, { stream });
        this.#events.emit('log', { line: clean, stream });
      },
      progress: (progress) => {
        // Redacting copies the payload: only when somebody receives it.
        if (!this.#events.hasListeners('progress') && !outputObserved()) return;
        this.#events.emit('progress', this.#redactor.redactValue(progress));
      },
    };
    return this.#instanceEvents;
  }
  readonly #onSignalAbort = () => {
    this.shutdown().catch((error: unknown) =>
      this.#log('error', `while stopService worker ${this.name}: ${errorMessage(error)}`),
    );
  };

  constructor(options: LatentWorkerOptions<Instance>) {
    this.#timings = resolveTimings(options);
    this.name = options.name;
    this.#provider = assertProvider<Instance>(options.provider);
    this.#masterId = options.masterId;
    this.#masterFQDN = options.masterFQDN === undefined ? undefined : parseMasterAddress(options.masterFQDN);
    this.#password = options.password ?? generateWorkerPassword();
    this.#workerProperties = options.properties ?? {};
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#redactor = options.redactor ?? new Redactor();
    this.#redactor.add(this.#password);
    this.#events = new TypedEmitter(
      (error) => this.#log('error', `worker ${this.name}: an event listener threw: ${errorMessage(error)}`),
      (event, payload) => publishOutput('event', `worker:${this.name}`, { event, payload }),
    );
    this.#missingTimer = new OneShotTimer(this.#clock);
    this.#buildWaitTimer = new OneShotTimer(this.#clock);
    this.#checkTimer = new OneShotTimer(this.#clock);
    this.#quarantine = new Quarantine(this.#clock, {
      entered: (seconds) => {
        this.#log('info', `${this.name} has been put in quarantine for ${seconds}s`);
        this.#events.emit('quarantine-entered', { seconds });
      },
      left: (reason) => {
        this.#log('info', `${this.name} has left quarantine`);
        this.#events.emit('quarantine-left', { reason });
        this.#events.emit('builds-may-start', {});
      },
    });
    if (options.signal) {
      this.#signal = options.signal;
      if (options.signal.aborted) this.#onSignalAbort();
      else options.signal.addEventListener('abort', this.#onSignalAbort, { once: true });
    }
  }

  // ---------------------------------------------------------------- observation

  get state(): LatentWorkerState {
    return this.#state;
  }

  /** Buildbot's `substantiated`: SUBSTANTIATED and a worker connection is present. */
  get substantiated(): boolean {
    return this.#state === LatentWorkerState.SUBSTANTIATED && this.isConnected;
  }

  get isConnected(): boolean {
    return this.#connection !== NO_CONNECTION;
  }

  /** The connection the worker attached with (what the master passed to `attached()`), or undefined without one. */
  get connection(): unknown {
    return this.#connection === NO_CONNECTION ? undefined : this.#connection;
  }

  /** The password the instance's worker logs in with. The master checks connections against it. A secret. */
  get password(): string {
    return this.#password;
  }

  get isQuarantined(): boolean {
    return this.#quarantine.isQuarantined;
  }

  /** Seconds the next quarantine will last (10, 20, 40 … 3600). */
  get nextQuarantineTimeout(): number {
    return this.#quarantine.nextTimeout;
  }

  get isPaused(): boolean {
    return this.#paused;
  }

  get busyBuilds(): number {
    return this.#busyBuilds;
  }

  /** The effective timing options (seconds) and limits, after defaults. */
  get timings(): ResolvedTimings {
    return this.#timings;
  }

  on<K extends keyof LatentWorkerEvents>(event: K, listener: Listener<LatentWorkerEvents[K]>): () => void {
    return this.#events.on(event, listener);
  }

  off<K extends keyof LatentWorkerEvents>(event: K, listener: Listener<LatentWorkerEvents[K]>): void {
    this.#events.off(event, listener);
  }

  /**
   * Buildbot's `canStartBuild`: false while shut down, paused, quarantined, at `maxBuilds` busy
   * builds, or when the connection was lost while builds are still busy.
   */
  canStartBuild(): boolean {
    if (this.#shutdown !== undefined || this.#state === LatentWorkerState.SHUT_DOWN) return false;
    if (this.#paused || this.#quarantine.isQuarantined) return false;
    if (this.#timings.maxBuilds !== undefined && this.#busyBuilds >= this.#timings.maxBuilds) return false;
    if (!this.isConnected && this.#busyBuilds > 0 && this.#state === LatentWorkerState.SUBSTANTIATED) return false;
    return true;
  }

  /**
   * Buildbot's `isCompatibleWithBuild`: true when no instance runs, or when the provider's
   * `renderStartSettings` renders the same settings for `properties` as for the running instance.
   */
  async isCompatibleWithBuild(
    properties: Properties,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<boolean> {
    const record = this.#current;
    if (!record?.hasSettings || !record.provider.renderStartSettings) return true;
    const signal = options.signal ?? record.abort.signal;
    const rendered = await this.#waitFor(record.provider.renderStartSettings(properties, { signal }), options.signal);
    return structurallyEqual(rendered, record.settings);
  }

  /** Resolves once no background operation (start, stop, check) of this worker is in flight. */
  whenIdle(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    return this.#waitFor(this.#drain(), options.signal);
  }

  async #drain(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  // ---------------------------------------------------------------- substantiation

  /**
   * Makes sure an instance runs and its worker attached. Resolves once attached; concurrent calls
   * share one result. Rejects with `FailedToSubstantiateError` (and its `SubstantiationTimeoutError`,
   * `WorkerCrashedError`), `CannotSubstantiateError`, `SubstantiationCancelledError` or
   * `WorkerShutDownError`; `.quarantined` tells whether the worker is now in quarantine.
   *
   * Like Buildbot, the worker sets `workername` and its own `properties` (source `Worker`) on the
   * given build `properties` when it starts an instance for them.
   */
  substantiate(properties?: Properties, options: SubstantiateOptions = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.#log('info', `substantiating worker ${this.name}`);
    if (this.#shutdown !== undefined || this.#state === LatentWorkerState.SHUT_DOWN) {
      return Promise.reject(
        new WorkerShutDownError(
          `worker ${this.name} is shut down and takes no more builds; give the build to another worker or create a new LatentWorker`,
        ),
      );
    }
    if (this.#state === LatentWorkerState.SUBSTANTIATED && this.isConnected) return Promise.resolve();
    if (isSubstantiating(this.#state)) return this.#wait(signal);

    const buildProperties = properties ?? new Properties();
    this.#startMissingTimer();
    const waiting = this.#wait(signal);
    if (this.#state === LatentWorkerState.SUBSTANTIATED) {
      // The connection was lost while substantiated: stop, then start again for this build.
      this.#beginInsubstantiate(false, buildProperties);
    } else if (this.#state === LatentWorkerState.NOT_SUBSTANTIATED) {
      this.#setState(LatentWorkerState.SUBSTANTIATING);
      this.#track(this.#runSubstantiation(buildProperties));
    } else {
      this.#setState(LatentWorkerState.INSUBSTANTIATING_SUBSTANTIATING);
      this.#pendingProperties = buildProperties;
    }
    return waiting;
  }

  #wait(signal: AbortSignal | undefined): Promise<void> {
    return this.#notifier.wait(signal, (remaining) => {
      if (remaining > 0 || !isSubstantiating(this.#state)) return;
      this.#log('info', `worker ${this.name}: every waiter gave up; cancelling the substantiation`);
      this.#beginInsubstantiate(false, undefined);
    });
  }

  #startMissingTimer(): void {
    const seconds = this.#timings.missingTimeout;
    if (seconds <= 0) return;
    this.#missingTimer.start(seconds, () => {
      const address = this.#masterFQDN ?? this.#defaultMaster;
      const where = address ? ` at ${address.host}:${address.port ?? this.#timings.masterPort}` : '';
      const pending = this.#current?.pending;
      const why = pending ? `; the instance was still pending: ${pending}` : '';
      this.#log('error', `worker ${this.name} did not attach within missingTimeout (${seconds}s)${why}`);
      this.#substantiationFailed(
        new SubstantiationTimeoutError(
          pending
            ? `${this.name} did not attach within missingTimeout (${seconds}s): the backend never placed the instance, it was still pending: ${pending}; make the backend able to place it, or raise missingTimeout`
            : `${this.name} did not attach within missingTimeout (${seconds}s); check that the worker can reach the master${where}, or raise missingTimeout if starting takes longer (image pulls count)`,
        ),
      );
    });
  }

  async #runSubstantiation(properties: Properties): Promise<void> {
    const attempt = ++this.#attempt;
    const dontWaitToAttach = this.#timings.buildWaitTimeout < 0 && this.isConnected;
    const stillWanted = () => attempt === this.#attempt && this.#state === LatentWorkerState.SUBSTANTIATING;
    let record: StartRecord<Instance> | undefined;
    try {
      if (this.#mutex.locked) {
        this.#log(
          'info',
          `while substantiating worker ${this.name}: waiting until previous start_instance/stop_instance finishes`,
        );
      }
      const release = await this.#mutex.acquire();
      try {
        if (!stillWanted()) return;
        const provider = this.#provider;
        const abort = new AbortController();
        const prepared = await this.#prepareStart(provider, properties, abort.signal);
        if (!stillWanted()) return;
        record = { ...prepared, provider, abort, instance: undefined, cancelled: false };
        this.#current = record;
        this.#setState(LatentWorkerState.SUBSTANTIATING_STARTING);
        const instance = await provider.startInstance(record.request, { signal: record.abort.signal });
        record.instance = instance ?? undefined;
      } finally {
        release();
      }
      if (record.cancelled) return;
      if (!record.instance) {
        throw new FailedToSubstantiateError(`${this.name} Worker does not want to substantiate at this time`);
      }
      if (dontWaitToAttach && this.#state === LatentWorkerState.SUBSTANTIATING_STARTING && this.isConnected) {
        this.#log('info', `Worker ${this.name} substantiated (already attached)`);
        this.#missingTimer.stop();
        this.#setState(LatentWorkerState.SUBSTANTIATED);
        this.#notifySuccess(true);
      } else if (this.#state === LatentWorkerState.SUBSTANTIATING_STARTING) {
        this.#armCheckTimer(record);
      }
    } catch (error) {
      if (record?.cancelled) return;
      this.#missingTimer.stop();
      this.#substantiationFailed(error);
    }
  }

  async #prepareStart(
    provider: Provider<Instance>,
    properties: Properties,
    signal: AbortSignal,
  ): Promise<{ request: StartInstanceRequest; hasSettings: boolean; settings: unknown }> {
    const master: MasterAddress = this.#masterFQDN ?? this.#defaultMaster ?? (await this.#resolveDefaultMaster());
    // Settings are rendered from the build's own properties, like the compatibility check does.
    const hasSettings = typeof provider.renderStartSettings === 'function';
    const settings = hasSettings ? await provider.renderStartSettings?.(properties, { signal }) : undefined;
    properties.setProperty('workername', this.name, 'Worker');
    for (const [key, value] of Object.entries(this.#workerProperties)) properties.setProperty(key, value, 'Worker');
    const request = createStartInstanceRequest({
      workerName: this.name,
      password: this.#password,
      masterId: this.#masterId,
      master,
      masterPort: this.#timings.masterPort,
      masterProtocol: this.#timings.masterProtocol,
      properties,
      events: this.#instanceEventSink(),
    });
    return { request, hasSettings, settings };
  }

  async #resolveDefaultMaster(): Promise<MasterAddress> {
    // The machine's FQDN is a bare host name: no port to parse.
    const address: MasterAddress = { host: await resolveDefaultMasterHost() };
    this.#defaultMaster = address;
    return address;
  }

  #armCheckTimer(record: StartRecord<Instance>): void {
    if (typeof record.provider.checkInstance !== 'function' || !record.instance) return;
    this.#checkTimer.start(this.#timings.checkInstanceInterval, () => {
      this.#track(this.#runCheck(record));
    });
  }

  async #runCheck(record: StartRecord<Instance>): Promise<void> {
    const current = () =>
      !record.cancelled && this.#current === record && this.#state === LatentWorkerState.SUBSTANTIATING_STARTING;
    let failure: WorkerCrashedError | CannotSubstantiateError | undefined;
    const release = await this.#mutex.acquire();
    try {
      if (!current() || !record.instance) return;
      let message = 'latent worker crashed before connecting';
      let healthy: boolean;
      let fatal = false;
      try {
        const health = await record.provider.checkInstance?.(record.instance, { signal: record.abort.signal });
        healthy = health?.healthy ?? true;
        if (health && !health.healthy) message += `: ${health.message}`;
        fatal = health?.healthy === false && health.retryable === false;
        if (health?.healthy && current()) this.#notePending(record, health.pending);
      } catch (error) {
        healthy = false;
        message += `: ${errorMessage(error)}`;
      }
      if (!current()) return;
      if (healthy) this.#armCheckTimer(record);
      else if (fatal) {
        const detail = message.slice('latent worker crashed before connecting: '.length);
        failure = new CannotSubstantiateError(
          `${this.name} cannot substantiate: the health check says the instance can never run (retryable: false): ${detail}`,
        );
      } else failure = new WorkerCrashedError(`${this.name} ${message}`);
    } finally {
      release();
    }
    if (failure) {
      this.#missingTimer.stop();
      // A health answer that says the instance can never run (`retryable: false`, a latentci
      // extension) fails this build at once; quarantine would only delay the next build, which may
      // come with a fixed setting, so the worker is not quarantined for it.
      this.#substantiationFailed(failure, { quarantine: !(failure instanceof CannotSubstantiateError) });
    }
  }

  /** A health answer's `pending` reason: logged and emitted when it changes. */
  #notePending(record: StartRecord<Instance>, reason: string | undefined): void {
    const clean = reason ? this.#redactor.redact(reason) : undefined;
    if (clean === record.pending) return;
    record.pending = clean;
    if (!clean) return;
    this.#log('info', `worker ${this.name}: the instance is pending: ${clean}`);
    this.#events.emit('instance-pending', { reason: clean });
  }

  #toFailure(error: unknown): FailedToSubstantiateError | CannotSubstantiateError {
    // Classified by `code` and `retryable`, never `instanceof`: the error may come from another
    // copy of core (a CJS provider under an ESM master). The rule is `isRetryableFailure`'s: a
    // non-retryable error (by default a configuration or render error) cannot succeed on a retry,
    // so the build ends with an exception (Buildbot retries such builds forever); anything else
    // fails the start and the build is retried after the quarantine.
    const code = latentErrorCode(error);
    if (!isRetryableFailure(error)) {
      if (code === 'CANNOT_SUBSTANTIATE') return this.#redactor.redactError(error as CannotSubstantiateError);
      return this.#redactor.redactError(
        new CannotSubstantiateError(`${this.name} cannot substantiate: ${errorMessage(error)}`, { cause: error }),
      );
    }
    if (code !== undefined && FAILED_TO_SUBSTANTIATE_CODES.has(code)) {
      return this.#redactor.redactError(error as FailedToSubstantiateError);
    }
    return this.#redactor.redactError(
      new FailedToSubstantiateError(
        `${this.name} failed to substantiate: ${errorMessage(error)}; the build will be retried once the quarantine ends`,
        { cause: error },
      ),
    );
  }

  /** Buildbot's `_substantiation_failed`: notify waiters (and quarantine), then insubstantiate. */
  #substantiationFailed(error: unknown, options: { readonly quarantine?: boolean } = {}): void {
    const failure = this.#toFailure(error);
    this.#log('error', `worker ${this.name}: substantiation failed: ${failure.message}`, { code: failure.code });
    if (this.#state === LatentWorkerState.SUBSTANTIATING || this.#state === LatentWorkerState.SUBSTANTIATING_STARTING) {
      if (options.quarantine !== false) this.#putInQuarantine();
      failure.quarantined = this.#quarantine.isQuarantined;
      this.#notifyFailure(failure);
    }
    this.#beginInsubstantiate(false, undefined);
  }

  #notifySuccess(alreadyAttached: boolean): void {
    if (this.#notifier.waiterCount === 0) this.#log('info', `No substantiation deferred for ${this.name}`);
    else this.#log('info', `Firing ${this.name} substantiation deferred with success`);
    this.#notifier.notify({ ok: true });
    this.#events.emit('substantiation-succeeded', { alreadyAttached });
  }

  #notifyFailure(error: Error): void {
    if (this.#notifier.waiterCount === 0) this.#log('info', `No substantiation deferred for ${this.name}`);
    else this.#log('info', `Firing ${this.name} substantiation deferred with failure`);
    this.#notifier.notify({ ok: false, error });
    publishOutput('error', `worker:${this.name}`, error);
    this.#events.emit('substantiation-failed', { error });
  }

  #cancelWaiters(): void {
    if (this.#notifier.waiterCount === 0) return;
    this.#notifyFailure(
      new SubstantiationCancelledError(
        `substantiation of worker ${this.name} was cancelled by a stop; the build should be retried`,
      ),
    );
  }

  // ---------------------------------------------------------------- connection and builds

  /**
   * The worker connected with the right credentials. Accepted while SUBSTANTIATING_STARTING (and,
   * with `buildWaitTimeout < 0`, in any state: a reconnect is tolerated). Otherwise rejects with
   * `ConnectionRejectedError`; the master should close that connection.
   */
  async attached(connection: unknown = 'worker connection', options: AttachOptions = {}): Promise<void> {
    this.#checkTimer.stop();
    const negative = this.#timings.buildWaitTimeout < 0;
    if (
      this.#shutdown !== undefined ||
      this.#state === LatentWorkerState.SHUT_DOWN ||
      (!negative && this.#state !== LatentWorkerState.SUBSTANTIATING_STARTING)
    ) {
      const message = `Worker ${this.name} received connection while not trying to substantiate.Disconnecting.`;
      this.#log('warn', message);
      throw new ConnectionRejectedError(message);
    }
    if (this.isConnected) {
      const message = `${this.name}: ${describePeer(connection)} connecting, but we are already connected to: ${describePeer(this.#connection)}`;
      this.#log('warn', message);
      throw new ConnectionRejectedError(message);
    }
    this.#connection = connection;
    this.#missingTimer.stop();
    if (options.setup) {
      const controller = new AbortController();
      try {
        await this.#waitFor(options.setup(controller.signal), options.signal);
      } catch (error) {
        controller.abort();
        const failure = new FailedToSubstantiateError(
          `${this.name} failed to prepare the attached worker: ${error instanceof Error ? error.name : 'Error'}: ${errorMessage(error)}`,
          { cause: error },
        );
        this.#dropConnection();
        this.#substantiationFailed(failure);
        throw this.#redactor.redactError(failure);
      }
    }
    this.#log('info', `Worker ${this.name} substantiated \\o/`);
    if (this.#state === LatentWorkerState.SUBSTANTIATING || this.#state === LatentWorkerState.SUBSTANTIATING_STARTING) {
      this.#setState(LatentWorkerState.SUBSTANTIATED);
      this.#notifySuccess(false);
    }
  }

  /**
   * The worker's connection closed. Only the connection is forgotten: no state change and no stop
   * (Buildbot). Pass the connection to ignore a late close of an older connection.
   */
  detached(connection?: unknown): void {
    if (connection !== undefined && connection !== this.#connection) return;
    if (!this.isConnected) return;
    this.#log('info', `worker ${this.name} detached`);
    this.#connection = NO_CONNECTION;
  }

  /** A build started on this worker: the idle timer stops. */
  buildStarted(): void {
    this.#buildWaitTimer.stop();
    this.#busyBuilds += 1;
  }

  /**
   * A build finished. Once no build is busy the idle policy applies (`buildWaitTimeout`): 0 stops
   * the instance on the next tick, > 0 after that many seconds, < 0 never.
   */
  buildFinished(options: BuildFinishedOptions = {}): void {
    this.#busyBuilds = Math.max(0, this.#busyBuilds - 1);
    if (options.result === 'EXCEPTION') this.#putInQuarantine();
    else if (options.result !== undefined && options.result !== 'RETRY') this.#quarantine.reset();
    const timeout = this.#timings.buildWaitTimeout;
    if (this.#busyBuilds === 0 && timeout >= 0 && this.#state === LatentWorkerState.SUBSTANTIATED) {
      this.#buildWaitTimer.start(timeout, () => {
        this.#track(this.#softDisconnect(false, false));
      });
    }
    this.#events.emit('builds-may-start', {});
  }

  #dropConnection(): void {
    if (!this.isConnected) return;
    const connection = this.#connection;
    this.#connection = NO_CONNECTION;
    this.#events.emit('connection-dropped', { connection });
  }

  /** Buildbot's `_soft_disconnect`: drop the connection and stop the instance (unless kept by a negative timeout). */
  #softDisconnect(fast: boolean, stoppingService: boolean): Promise<void> {
    if (this.#timings.buildWaitTimeout < 0 && !stoppingService) {
      this.#dropConnection();
      return Promise.resolve();
    }
    this.#missingTimer.stop();
    this.#dropConnection();
    return this.#beginInsubstantiate(fast, undefined);
  }

  // ---------------------------------------------------------------- insubstantiation

  /**
   * Stops the instance (cancelling a substantiation in progress: its waiters get
   * `SubstantiationCancelledError`). Resolves once the stop finished. `stopInstance` errors are
   * logged, never thrown.
   */
  insubstantiate(options: InsubstantiateOptions = {}): Promise<void> {
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    return this.#waitFor(this.#beginInsubstantiate(options.fast ?? false, undefined), options.signal);
  }

  #beginInsubstantiate(fast: boolean, force: Properties | undefined): Promise<void> {
    this.#log('info', `insubstantiating worker ${this.name}`);
    switch (this.#state) {
      case LatentWorkerState.NOT_SUBSTANTIATED:
      case LatentWorkerState.SHUT_DOWN:
        return this.#stopping ?? Promise.resolve();
      case LatentWorkerState.INSUBSTANTIATING_SUBSTANTIATING:
        this.#setState(LatentWorkerState.INSUBSTANTIATING);
        this.#pendingProperties = undefined;
        this.#missingTimer.stop();
        this.#cancelWaiters();
        return this.#stopping ?? Promise.resolve();
      case LatentWorkerState.INSUBSTANTIATING:
        return this.#stopping ?? Promise.resolve();
      case LatentWorkerState.SUBSTANTIATING:
        // startInstance was not called: nothing to stop.
        this.#attempt += 1;
        this.#stopTimers();
        this.#setState(LatentWorkerState.NOT_SUBSTANTIATED);
        this.#cancelWaiters();
        this.#events.emit('builds-may-start', {});
        return Promise.resolve();
      default: {
        const wasStarting = this.#state === LatentWorkerState.SUBSTANTIATING_STARTING;
        const record = this.#current;
        this.#current = undefined;
        if (record && wasStarting) {
          record.cancelled = true;
          record.abort.abort(
            new SubstantiationCancelledError(`substantiation of worker ${this.name} was cancelled by a stop`),
          );
        }
        this.#buildWaitTimer.stop();
        this.#checkTimer.stop();
        if (!force) this.#missingTimer.stop();
        this.#pendingProperties = force;
        this.#setState(force ? LatentWorkerState.INSUBSTANTIATING_SUBSTANTIATING : LatentWorkerState.INSUBSTANTIATING);
        if (wasStarting) this.#cancelWaiters();
        const stopping = this.#track(this.#runStop(record, fast));
        this.#stopping = stopping;
        return stopping;
      }
    }
  }

  async #runStop(record: StartRecord<Instance> | undefined, fast: boolean): Promise<void> {
    if (this.#mutex.locked) {
      this.#log(
        'info',
        `while insubstantiating worker ${this.name}: waiting until previous start_instance/stop_instance finishes`,
      );
    }
    const release = await this.#mutex.acquire();
    try {
      if (record) {
        const target: StopTarget<Instance> = record.instance
          ? { request: record.request, instance: record.instance }
          : { request: record.request };
        const controller = new AbortController();
        // Stops run one at a time, under the mutex: one deadline timer serves them all.
        this.#stopDeadline ??= new OneShotTimer(this.#clock);
        const deadline = this.#stopDeadline;
        const seconds = this.#timings.stopTimeout;
        if (seconds > 0) {
          deadline.start(seconds, () =>
            controller.abort(
              new BackendError(
                `stopping the instance of worker ${this.name} took longer than stopTimeout (${seconds}s); it may still run: remove it with reapOrphans() or \`latentci reap\``,
              ),
            ),
          );
        }
        try {
          await record.provider.stopInstance(target, { fast, signal: controller.signal });
        } catch (error) {
          this.#log('error', `while insubstantiating worker ${this.name}: ${errorMessage(error)}`);
        } finally {
          deadline.stop();
        }
      }
    } finally {
      release();
    }
    this.#stopping = undefined;
    if (this.#state === LatentWorkerState.INSUBSTANTIATING_SUBSTANTIATING) {
      const properties = this.#pendingProperties ?? new Properties();
      this.#pendingProperties = undefined;
      this.#setState(LatentWorkerState.SUBSTANTIATING);
      this.#track(this.#runSubstantiation(properties));
    } else if (this.#state === LatentWorkerState.INSUBSTANTIATING) {
      this.#setState(LatentWorkerState.NOT_SUBSTANTIATED);
    }
    this.#events.emit('builds-may-start', {});
  }

  #stopTimers(): void {
    this.#missingTimer.stop();
    this.#buildWaitTimer.stop();
    this.#checkTimer.stop();
  }

  // ---------------------------------------------------------------- quarantine and pause

  /** Quarantines the worker (no-op while quarantined): the master calls it when a build's preparation failed on its side (e.g. ping). */
  putInQuarantine(): void {
    this.#putInQuarantine();
  }

  /** A worker that is shut down keeps no timer: a build reported after the shutdown does not quarantine it. */
  #putInQuarantine(): void {
    if (this.#state !== LatentWorkerState.SHUT_DOWN) this.#quarantine.put();
  }

  /** The next quarantine lasts 10 s again. */
  resetQuarantine(): void {
    this.#quarantine.reset();
  }

  /** Ends a running quarantine now; the backoff is kept. */
  stopQuarantineTimer(): void {
    this.#quarantine.stopTimer();
  }

  /** Pauses the worker: no new builds until `unpause()`. Independent of quarantine. */
  pause(): void {
    this.#paused = true;
  }

  /** Unpauses the worker and ends a running quarantine (the backoff is kept). */
  unpause(): void {
    this.#paused = false;
    this.#quarantine.stopTimer();
    this.#events.emit('builds-may-start', {});
  }

  // ---------------------------------------------------------------- configuration and shutdown

  /**
   * Applies a new configuration (Buildbot's `reconfigService`): every option is taken from
   * `options`, absent ones fall back to their defaults. An absent password keeps the current one
   * while an instance runs (so it can still log in) and is regenerated otherwise. `name` cannot
   * change and `clock` is ignored. New timings apply from the next timer armed.
   */
  reconfigure(options: LatentWorkerOptions<Instance>): void {
    if (this.#shutdown !== undefined || this.#state === LatentWorkerState.SHUT_DOWN) {
      throw new WorkerShutDownError(
        `worker ${this.name} is shut down; create a new LatentWorker instead of reconfiguring it`,
      );
    }
    const timings = resolveTimings(options);
    if (options.name !== this.name) {
      throw new ConfigurationError(
        `cannot rename worker ${this.name} to ${options.name} by reconfiguring; shut it down and create a new LatentWorker`,
      );
    }
    const provider = assertProvider<Instance>(options.provider);
    const masterFQDN = options.masterFQDN === undefined ? undefined : parseMasterAddress(options.masterFQDN);
    // Buildbot's getRandomPass: keep the password a running instance logs in with.
    const password =
      options.password ??
      (this.#state === LatentWorkerState.NOT_SUBSTANTIATED ? generateWorkerPassword() : this.#password);
    this.#timings = timings;
    this.#provider = provider;
    this.#masterId = options.masterId;
    this.#masterFQDN = masterFQDN;
    this.#password = password;
    this.#redactor.add(password);
    this.#workerProperties = options.properties ?? {};
    if (options.logger) this.#logger = options.logger;
  }

  /**
   * Buildbot's `stopService`: cancels or waits for a start or stop in progress, stops a running
   * instance (also with a negative `buildWaitTimeout`), clears every timer and ends in SHUT_DOWN.
   * Running builds are not waited for. Idempotent.
   */
  shutdown(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    this.#shutdown ??= this.#runShutdown();
    return this.#waitFor(this.#shutdown, options.signal);
  }

  async #runShutdown(): Promise<void> {
    this.#signal?.removeEventListener('abort', this.#onSignalAbort);
    while (this.#state !== LatentWorkerState.NOT_SUBSTANTIATED && this.#state !== LatentWorkerState.SHUT_DOWN) {
      if (this.#mutex.locked) {
        this.#log(
          'info',
          `while stopService worker ${this.name}: waiting until previous start_instance/stop_instance finishes`,
        );
      }
      await this.#softDisconnect(false, true);
    }
    await this.#drain();
    this.#stopTimers();
    this.#quarantine.stopTimer();
    this.#dropConnection();
    this.#setState(LatentWorkerState.SHUT_DOWN);
  }

  // ---------------------------------------------------------------- helpers

  #setState(to: LatentWorkerState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#events.emit('state', { from, to });
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#background.add(promise);
    const forget = () => {
      this.#background.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }

  #waitFor<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (!signal) return promise;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  #log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void {
    // Nobody reads it: skip the redaction (it runs on every line of every cycle).
    if (this.#logger === silentLogger && !outputObserved()) return;
    const clean = this.#redactor.redact(message);
    const cleanFields = fields ? this.#redactor.redactValue(fields) : undefined;
    publishOutput('log', `worker:${this.name}`, cleanFields ? `${clean} ${JSON.stringify(cleanFields)}` : clean);
    if (cleanFields) this.#logger.log(level, clean, cleanFields);
    else this.#logger.log(level, clean);
  }
}
