/**
 * The reference provider: the smallest complete implementation of the provider contract (v1),
 * with every capability, plus hooks that let tests inject faults and watch what the core did.
 *
 * Read it top to bottom if you write a provider: the four sections marked "CONTRACT" are all a
 * real provider needs (replace the Map with your backend's API). Everything marked "TEST HOOK" is
 * for tests only.
 */
import type {
  InstanceHandle,
  InstanceHealth,
  OrphanInstance,
  OwnerFilter,
  ProviderCapabilities,
  ProviderV1,
  ReapResult,
  SignalOptions,
  StartInstanceRequest,
  StopOptions,
  StopTarget,
} from '../contract/provider.js';
import { OWNER_LABELS } from '../contract/provider.js';
import { FailedToSubstantiateError } from '../errors.js';
import type { Properties } from '../renderables/index.js';

/** An instance of the in-memory backend. */
export interface InMemoryInstance extends InstanceHandle {
  readonly id: string;
  readonly name: string;
  /** The environment the worker would see (`BUILDMASTER`, `WORKERPASS`…). */
  readonly environment: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** What `renderStartSettings` rendered for the build that started it. */
  readonly settings: unknown;
  /** `running` until stopped; `crashed` after a simulated crash; `pending` while never placed. */
  status: 'running' | 'crashed' | 'stopped' | 'pending';
  /** What the instance "printed" before it crashed: returned by `checkInstance`. */
  crashMessage?: string;
  /** A crash `checkInstance` reports with `retryable: false` (the instance can never run). */
  fatal?: boolean;
  /** Why a `pending` instance is not placed: `checkInstance` answers `{ healthy: true, pending }`. */
  pendingReason?: string;
}

/** Something that accepts worker connections: a `LatentWorker`. */
export interface AttachTarget {
  attached(connection?: unknown): Promise<void>;
  detached(connection?: unknown): void;
}

/** A start or stop the test holds until it says how it ends. */
export interface HeldCall {
  /** Resolves when the core made the call. */
  readonly called: Promise<void>;
  /** Whether the core made the call yet. */
  readonly wasCalled: boolean;
  /** The call's abort signal, once called. */
  readonly signal: AbortSignal | undefined;
  /** Lets the call complete normally. */
  release(): void;
  /** Makes the call fail with `error`. */
  fail(error: Error): void;
  /**
   * (Starts only.) Makes the start resolve falsy: Buildbot's "does not want to substantiate". Outside
   * the contract (a start resolves an instance or rejects): it models a JavaScript provider ported
   * from Buildbot, to test the core's tolerance.
   */
  refuse(): void;
}

/** One `startInstance` call as the backend saw it. */
export interface StartRecord {
  readonly request: StartInstanceRequest;
  outcome: 'pending' | 'started' | 'failed' | 'refused' | 'aborted';
  instance?: InMemoryInstance;
}

export interface InMemoryProviderOptions {
  /** The provider name. Default `in-memory`. */
  readonly name?: string;
  /**
   * Renders the start settings from the build's properties (perBuildSettings). Default: the
   * property `worker_kind` or null, so builds with different kinds need different instances.
   */
  readonly renderStartSettings?: (properties: Properties) => unknown;
  /** Lines every instance "prints" while starting (startupLogs). */
  readonly startupLogs?: readonly string[];
  /** Honour the abort signal of a held start (default true). False models a backend that ignores it. */
  readonly honourAbort?: boolean;
}

type StartPlan =
  | { readonly kind: 'fail'; readonly error: Error }
  | { readonly kind: 'refuse' }
  | { readonly kind: 'crash'; readonly message: string; readonly fatal: boolean }
  | { readonly kind: 'pending'; readonly reason: string }
  | { readonly kind: 'hold'; readonly control: Deferred };

type StopPlan =
  | { readonly kind: 'fail'; readonly error: Error; readonly synchronous: boolean }
  | { readonly kind: 'hold'; readonly control: Deferred };

type Settlement =
  | { readonly kind: 'release' }
  | { readonly kind: 'fail'; readonly error: Error }
  | { readonly kind: 'refuse' };

class Deferred implements HeldCall {
  wasCalled = false;
  signal: AbortSignal | undefined;
  readonly called: Promise<void>;
  readonly settled: Promise<Settlement>;
  #markCalled!: () => void;
  #settle!: (settlement: Settlement) => void;

  constructor() {
    this.called = new Promise((resolve) => {
      this.#markCalled = resolve;
    });
    this.settled = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  call(signal: AbortSignal): void {
    this.wasCalled = true;
    this.signal = signal;
    this.#markCalled();
  }

  release(): void {
    this.#settle({ kind: 'release' });
  }

  fail(error: Error): void {
    this.#settle({ kind: 'fail', error });
  }

  refuse(): void {
    this.#settle({ kind: 'refuse' });
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal, honour: boolean): Promise<T> {
  if (!honour) return promise;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export class InMemoryProvider implements ProviderV1<InMemoryInstance> {
  // ------------------------------------------------------------------ CONTRACT: identity
  readonly specificationVersion = 'v1' as const;
  readonly provider: string;
  readonly capabilities: ProviderCapabilities = {
    healthCheck: true,
    perBuildSettings: true,
    orphanReaping: true,
    startupLogs: true,
    healthDetails: true,
  };

  /** The "backend": instances by id. A real provider asks its API instead. */
  readonly #instances = new Map<string, InMemoryInstance>();
  readonly #options: InMemoryProviderOptions;
  #nextId = 1;

  // TEST HOOK state
  readonly #startPlans: StartPlan[] = [];
  readonly #stopPlans: StopPlan[] = [];
  #inFlight = 0;
  #overlap = false;
  /** Every `startInstance` call, in order. */
  readonly starts: StartRecord[] = [];
  /** Every `stopInstance` call, in order. */
  readonly stops: StopTarget<InMemoryInstance>[] = [];
  /** The stops that failed (by a fault hook): their instance, if any, is left behind like a real leak. */
  readonly failedStops: StopTarget<InMemoryInstance>[] = [];
  /** How many `checkInstance` calls were made. */
  checks = 0;
  /** Called when an instance is up, before `startInstance` resolves (see `autoAttach`). */
  onStarted: ((instance: InMemoryInstance, request: StartInstanceRequest) => void) | undefined;
  /** Called when an instance is stopped. */
  onStopped: ((instance: InMemoryInstance) => void) | undefined;

  constructor(options: InMemoryProviderOptions = {}) {
    this.#options = options;
    this.provider = options.name ?? 'in-memory';
  }

  // ------------------------------------------------------------------ CONTRACT: start
  async startInstance(request: StartInstanceRequest, { signal }: SignalOptions): Promise<InMemoryInstance> {
    const record: StartRecord = { request, outcome: 'pending' };
    this.starts.push(record);
    this.#enter();
    try {
      const plan = this.#startPlans.shift();
      if (plan?.kind === 'hold') {
        plan.control.call(signal);
        const settlement = await abortable(plan.control.settled, signal, this.#options.honourAbort ?? true);
        if (settlement.kind === 'fail') throw settlement.error;
        if (settlement.kind === 'refuse') return this.#refuse(record);
      }
      signal.throwIfAborted();
      if (plan?.kind === 'fail') throw plan.error;
      if (plan?.kind === 'refuse') return this.#refuse(record);

      // A real provider creates the instance here, named request.instanceName, labelled with
      // request.labels, with request.environment injected. Same-named leftovers are removed first.
      for (const existing of this.#instances.values()) {
        if (existing.name === request.instanceName) this.#instances.delete(existing.id);
      }
      const settings = await this.renderStartSettings(request.properties);
      const instance: InMemoryInstance = {
        id: `in-memory-${this.#nextId++}`,
        name: request.instanceName,
        environment: request.environment,
        labels: request.labels,
        settings,
        status: plan?.kind === 'crash' ? 'crashed' : plan?.kind === 'pending' ? 'pending' : 'running',
        ...(plan?.kind === 'crash' ? { crashMessage: plan.message, fatal: plan.fatal } : {}),
        ...(plan?.kind === 'pending' ? { pendingReason: plan.reason } : {}),
      };
      this.#instances.set(instance.id, instance);
      for (const line of this.#options.startupLogs ?? []) request.events.log(line, 'stdout');
      request.events.progress({ phase: 'start', status: 'started', id: instance.id });
      record.outcome = 'started';
      record.instance = instance;
      this.onStarted?.(instance, request);
      return instance;
    } catch (error) {
      record.outcome = signal.aborted ? 'aborted' : 'failed';
      throw error;
    } finally {
      this.#leave();
    }
  }

  // ------------------------------------------------------------------ CONTRACT: stop
  stopInstance(target: StopTarget<InMemoryInstance>, { signal }: StopOptions): Promise<void> {
    this.stops.push(target);
    const plan = this.#stopPlans.shift();
    if (plan?.kind === 'fail' && plan.synchronous) {
      this.failedStops.push(target);
      throw plan.error;
    }
    return this.#stop(target, plan, signal);
  }

  async #stop(target: StopTarget<InMemoryInstance>, plan: StopPlan | undefined, signal: AbortSignal): Promise<void> {
    this.#enter();
    try {
      if (plan?.kind === 'hold') {
        plan.control.call(signal);
        const settlement = await plan.control.settled;
        if (settlement.kind === 'fail') throw settlement.error;
      }
      if (plan?.kind === 'fail') throw plan.error;
      // Without an instance (failed or aborted start) clean up by name; a missing instance is fine.
      for (const instance of [...this.#instances.values()]) {
        if (instance.id === target.instance?.id || instance.name === target.request.instanceName) {
          instance.status = 'stopped';
          this.#instances.delete(instance.id);
          this.onStopped?.(instance);
        }
      }
    } catch (error) {
      this.failedStops.push(target);
      throw error;
    } finally {
      this.#leave();
    }
  }

  // ------------------------------------------------------------------ CONTRACT: optional hooks
  async checkInstance(instance: InMemoryInstance, _options: SignalOptions): Promise<InstanceHealth> {
    this.checks += 1;
    this.#enter();
    try {
      const current = this.#instances.get(instance.id);
      if (!current) return { healthy: false, message: `instance ${instance.id} no longer exists` };
      if (current.status === 'crashed') {
        const message = current.crashMessage ?? 'crashed';
        return current.fatal ? { healthy: false, message, retryable: false } : { healthy: false, message };
      }
      if (current.status === 'pending') return { healthy: true, pending: current.pendingReason ?? 'not placed yet' };
      return { healthy: true };
    } finally {
      this.#leave();
    }
  }

  async renderStartSettings(properties: Properties): Promise<unknown> {
    if (this.#options.renderStartSettings) return this.#options.renderStartSettings(properties);
    return properties.getProperty('worker_kind', null);
  }

  async listOrphans(owner: OwnerFilter, _options: SignalOptions): Promise<readonly OrphanInstance[]> {
    return [...this.#instances.values()]
      .filter(
        (instance) =>
          instance.labels[OWNER_LABELS.managed] === 'true' &&
          instance.labels[OWNER_LABELS.master] === owner.masterId &&
          (owner.workerName === undefined || instance.labels[OWNER_LABELS.worker] === owner.workerName),
      )
      .map((instance) => ({
        id: instance.id,
        name: instance.name,
        masterId: owner.masterId,
        workerName: instance.labels[OWNER_LABELS.worker] ?? '',
        state: instance.status,
      }));
  }

  async reapOrphans(owner: OwnerFilter, options: SignalOptions): Promise<ReapResult> {
    const orphans = await this.listOrphans(owner, options);
    for (const orphan of orphans) this.#instances.delete(orphan.id);
    return { removed: orphans, failed: [] };
  }

  // ------------------------------------------------------------------ TEST HOOKS: faults
  /** The next start fails with `error` (default: a FailedToSubstantiateError). */
  failNextStart(error: Error = new FailedToSubstantiateError('in-memory backend refused the start')): void {
    this.#startPlans.push({ kind: 'fail', error });
  }

  /** The next start resolves falsy, like a Buildbot provider returning False. */
  refuseNextStart(): void {
    this.#startPlans.push({ kind: 'refuse' });
  }

  /** The next start waits until the returned control says how it ends (a "hang" if it never does). */
  holdNextStart(): HeldCall {
    const control = new Deferred();
    this.#startPlans.push({ kind: 'hold', control });
    return control;
  }

  /**
   * The next instance starts already crashed: `checkInstance` reports `message` (with
   * `retryable: false` when `fatal`: an instance that can never run, like a missing image).
   */
  crashNextInstance(message: string, options: { readonly fatal?: boolean } = {}): void {
    this.#startPlans.push({ kind: 'crash', message, fatal: options.fatal ?? false });
  }

  /** The next instance is accepted but never placed: `checkInstance` answers `{ healthy: true, pending: reason }`. */
  pendNextInstance(reason: string): void {
    this.#startPlans.push({ kind: 'pending', reason });
  }

  /** Crashes a running instance: `checkInstance` reports `message` from now on. */
  crash(instance: InMemoryInstance, message: string): void {
    const current = this.#instances.get(instance.id);
    if (!current) return;
    current.status = 'crashed';
    current.crashMessage = message;
  }

  /** The next stop fails with `error`, thrown synchronously when asked (Buildbot test_stop_instance_synchronous_exception). */
  failNextStop(error: Error, options: { readonly synchronous?: boolean } = {}): void {
    this.#stopPlans.push({ kind: 'fail', error, synchronous: options.synchronous ?? false });
  }

  /** The next stop waits until the returned control releases it (a "slow stop"). */
  holdNextStop(): HeldCall {
    const control = new Deferred();
    this.#stopPlans.push({ kind: 'hold', control });
    return control;
  }

  /**
   * Simulates the worker process connecting back: every instance that starts attaches to `worker`
   * (`during-start`: before `startInstance` resolves; `after-start`, the default: on the next turn
   * of the event loop), and its connection closes (`detached`) when the instance is stopped.
   */
  autoAttach(worker: AttachTarget, options: { readonly when?: 'during-start' | 'after-start' } = {}): void {
    const connections = new Map<string, { readonly peer: string }>();
    this.onStarted = (instance) => {
      const connection = { peer: instance.name };
      connections.set(instance.id, connection);
      const attach = () => {
        if (instance.status !== 'running') return;
        worker.attached(connection).catch(() => connections.delete(instance.id));
      };
      if (options.when === 'during-start') attach();
      else setImmediate(attach);
    };
    this.onStopped = (instance) => {
      const connection = connections.get(instance.id);
      connections.delete(instance.id);
      if (connection) worker.detached(connection);
    };
  }

  // ------------------------------------------------------------------ TEST HOOKS: observations
  /** Instances that exist now. */
  get liveInstances(): readonly InMemoryInstance[] {
    return [...this.#instances.values()];
  }

  get startCount(): number {
    return this.starts.length;
  }

  get stopCount(): number {
    return this.stops.length;
  }

  /** Calls (start, stop, check) in progress now. */
  get callsInFlight(): number {
    return this.#inFlight;
  }

  /** True if two calls were ever in progress at once: the core's mutex failed. */
  get overlapDetected(): boolean {
    return this.#overlap;
  }

  #refuse(record: StartRecord): InMemoryInstance {
    record.outcome = 'refused';
    // A legacy provider answering "no" (Buildbot's False): outside the typed contract on purpose.
    return null as unknown as InMemoryInstance;
  }

  #enter(): void {
    this.#inFlight += 1;
    if (this.#inFlight > 1) this.#overlap = true;
  }

  #leave(): void {
    this.#inFlight -= 1;
  }
}

/** Creates the reference in-memory provider. */
export function createInMemoryProvider(options: InMemoryProviderOptions = {}): InMemoryProvider {
  return new InMemoryProvider(options);
}
