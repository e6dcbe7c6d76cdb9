import { Redactor, WorkerPool } from '@latentci/core';
import { boundedTeardown, reapCommand } from './bounded-teardown.js';
import { UsageError } from './cli-errors.js';
import { configLatentWorker, masterTarget } from './config/config-latent-worker.js';
import { DEFAULT_MASTER_ID, type LoadedWorkerConfig, type WorkerConfig } from './config/worker-config.js';
import { EXIT_CODES } from './exit-codes.js';
import { startMasterListener } from './master-listener.js';
import { masterProtocols } from './master-protocols.js';
import { DEFAULT_POOL_IDLE, DEFAULT_POOL_MAX, POOL_STATS_INTERVAL_MS } from './pool-defaults.js';
import type { PoolEvent, PoolLoad, PoolOutcome, PoolResult, PoolSnapshot } from './pool-events.js';
import { startPoolLoad } from './pool-load.js';
import { providerFromConfig, providerLabel } from './provider/provider-from-config.js';
import { DEFAULT_TRY_TIMEOUT, TEARDOWN_BUDGET_SECONDS, TEARDOWN_GRACE_SECONDS } from './try-defaults.js';

export interface PoolWorkersOptions {
  /** Attached workers kept ready. Default 1. */
  readonly idle?: number | undefined;
  /** Most workers at once. Default 2. */
  readonly max?: number | undefined;
  /** Seconds to run before closing the pool; default: until `signal` aborts. */
  readonly durationSeconds?: number | undefined;
  /** Simulated demand: builds that acquire, hold and release leases. Default: none (the pool only stays warm). */
  readonly load?: PoolLoad | undefined;
  /** Seconds each worker gets to attach (its `missingTimeout`). Default: the config's `worker.missingTimeout`, else 60. */
  readonly timeoutSeconds?: number | undefined;
  /** `host:port` to listen on and tell the workers (overrides `worker.masterFQDN`); port 0 picks a free one. */
  readonly master?: string | undefined;
  /** Milliseconds between two `stats` events. Default 1000. */
  readonly statsIntervalMs?: number | undefined;
  /** Aborting it closes the pool (draining) and ends the run as interrupted. */
  readonly signal?: AbortSignal | undefined;
  /** Aborting it abandons the cleanup at once (a second Ctrl-C); the result says what may be left. */
  readonly abandon?: AbortSignal | undefined;
  /** Receives every event, redacted of the worker passwords. */
  readonly onEvent?: ((event: PoolEvent) => void) | undefined;
  /** Where relative paths and provider packages are looked up. Default `process.cwd()`. */
  readonly cwd?: string | undefined;
}

function count(option: string, value: number, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum) {
    throw new UsageError(`${option} must be an integer >= ${minimum}, got ${String(value)}`);
  }
  return value;
}

function positive(option: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new UsageError(`${option} must be a positive number, got ${String(value)}`);
  }
  return value;
}

/**
 * Keeps a `WorkerPool` of `config`'s worker warm: workers `<worker.name>-1` … `-<max>`, with the
 * config's password (or the pool's own per name when it has none), attach to the same master
 * listener `latentci try` uses. Reports a `stats` snapshot every second, and puts the simulated
 * `load` on it. Runs for `durationSeconds`, or until `signal` aborts; then closes the pool
 * (draining) within the teardown budget and reports what it did. Leaves no server behind, and no
 * instance unless the cleanup was abandoned or overran (the result then says what and how to reap).
 *
 * @throws UsageError for invalid options (idle above max, not integers, a bad `master`), a
 *   `CONFIGURATION_ERROR` for a config the pool cannot use, provider errors when the provider
 *   cannot be created.
 */
export async function poolWorkers(
  config: WorkerConfig | LoadedWorkerConfig,
  options: PoolWorkersOptions = {},
): Promise<PoolResult> {
  const startedAt = Date.now();
  const idle = count('--idle', options.idle ?? DEFAULT_POOL_IDLE, 0);
  const max = count('--max', options.max ?? DEFAULT_POOL_MAX, 1);
  if (idle > max) {
    throw new UsageError(`--idle (${idle}) cannot exceed --max (${max}): the idle workers count toward max`);
  }
  const durationSeconds = positive('--duration', options.durationSeconds);
  const timeoutSeconds =
    positive('--timeout', options.timeoutSeconds) ?? config.worker.missingTimeout ?? DEFAULT_TRY_TIMEOUT;
  const load = options.load;
  if (load !== undefined) {
    if (load.kind === 'clients') count('--load', load.clients, 1);
    else positive('--acquire-every', load.everyMs);
    count('--hold', load.holdMs, 0);
  }
  const worker = config.worker;
  const target = masterTarget(worker, options.master);
  const masterId = worker.masterId ?? DEFAULT_MASTER_ID;
  masterProtocols(worker.masterProtocol);

  const redactor = new Redactor();
  redactor.add(worker.password);
  const emit = (event: PoolEvent) => options.onEvent?.(redactor.redactValue(event));
  const names = Array.from({ length: max }, (_, index) => `${worker.name}-${index + 1}`);
  emit({
    event: 'start',
    provider: providerLabel(config),
    workers: names,
    masterId,
    idle,
    max,
    ...(load === undefined ? {} : { load }),
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    ...('file' in config && config.file !== undefined ? { config: config.file } : {}),
  });
  const provider = await providerFromConfig(config, { cwd: options.cwd });

  // A worker's start removes an instance of the same name: refuse to take over another run's.
  if (typeof provider.listOrphans === 'function') {
    let existing: readonly { readonly id: string; readonly name?: string | undefined; readonly workerName: string }[] =
      [];
    try {
      existing = (
        await provider.listOrphans(
          { masterId },
          {
            signal: AbortSignal.any([
              ...(options.signal ? [options.signal] : []),
              AbortSignal.timeout(Math.min(timeoutSeconds * 1000, 2 ** 31 - 1)),
            ]),
          },
        )
      ).filter((instance) => names.includes(instance.workerName));
    } catch {
      // The starts will meet (and report) the same backend problem.
    }
    if (existing.length > 0) {
      throw Object.assign(
        new Error(
          `instances of this pool's workers already exist for master id "${masterId}" (${existing.map((instance) => instance.name ?? instance.id).join(', ')}): they may belong to another \`latentci pool\` or to a master sharing that masterId, and starting would remove them; give worker.masterId a value of its own, or remove them with \`${reapCommand(config)}\``,
        ),
        { code: 'CONFIGURATION_ERROR' },
      );
    }
  }

  const listener = await startMasterListener({
    host: target.host,
    port: target.port,
    masterProtocol: worker.masterProtocol,
    onRefusal: ({ workerName, reason, remoteAddress }) =>
      emit({ event: 'login-refused', ...(workerName === undefined ? {} : { workerName }), remoteAddress, reason }),
  });
  emit({ event: 'listening', master: listener.master });

  /** Each name's wiring to the listener, and the names whose worker exists (started, not yet stopped). */
  const wirings = new Map<string, () => void>();
  let pool: WorkerPool;
  try {
    pool = new WorkerPool({
      namePrefix: worker.name,
      idle,
      max,
      redactor,
      createWorker: (name, { password }) => {
        wirings.get(name)?.();
        const created = configLatentWorker(worker, {
          name,
          password: worker.password ?? password,
          provider,
          masterFQDN: listener.master,
          missingTimeout: timeoutSeconds,
          stopTimeout: TEARDOWN_BUDGET_SECONDS,
          redactor,
        });
        wirings.set(name, listener.attach(created));
        return created;
      },
    });
  } catch (error) {
    await listener.close();
    throw error;
  }
  let workersReady = 0;
  const unsubscribe = [
    pool.on('worker-ready', ({ name, startMs }) => {
      workersReady += 1;
      emit({ event: 'worker-ready', name, startMs });
    }),
    pool.on('start-failed', ({ name, error }) => emit({ event: 'start-failed', name, message: error.message })),
    pool.on('backend-quarantined', ({ seconds }) => emit({ event: 'backend-quarantined', seconds })),
    pool.on('worker-stopped', ({ name }) => {
      wirings.get(name)?.();
      wirings.delete(name);
    }),
  ];
  const snapshot = (): PoolSnapshot => {
    const { backends: _backends, ...stats } = pool.stats();
    return stats;
  };
  const elapsedSeconds = () => Math.round((Date.now() - startedAt) / 100) / 10;
  const ticker = setInterval(
    () => emit({ event: 'stats', elapsedSeconds: elapsedSeconds(), ...snapshot() }),
    options.statsIntervalMs ?? POOL_STATS_INTERVAL_MS,
  );
  const demand = load === undefined ? undefined : startPoolLoad(pool, load);

  // Run until the duration is over or the user interrupts.
  const reason = await new Promise<'duration' | 'interrupted'>((resolve) => {
    if (options.signal?.aborted) return resolve('interrupted');
    const timer =
      durationSeconds === undefined
        ? undefined
        : setTimeout(() => finish('duration'), Math.min(durationSeconds * 1000, 2 ** 31 - 1));
    const onAbort = () => finish('interrupted');
    function finish(why: 'duration' | 'interrupted') {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(why);
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });

  emit({ event: 'closing', reason });
  demand?.stop();
  const budget = TEARDOWN_BUDGET_SECONDS + TEARDOWN_GRACE_SECONDS;
  const teardown = await boundedTeardown(() => pool.close({ drain: true }), budget, options.abandon);
  clearInterval(ticker);
  const remaining = [...wirings.keys()].sort((a, b) => names.indexOf(a) - names.indexOf(b));
  for (const stop of unsubscribe) stop();
  for (const unwire of wirings.values()) unwire();
  await listener.close();

  const stats = snapshot();
  let leftBehind: PoolResult['leftBehind'];
  if (teardown !== 'done' && remaining.length > 0) {
    leftBehind = {
      why:
        teardown === 'abandoned'
          ? 'the cleanup was abandoned (second interrupt)'
          : `the backend did not finish the cleanup within ${budget}s`,
      what: `the instances of workers ${remaining.map((name) => `"${name}"`).join(', ')} (master id "${masterId}")`,
      reap: reapCommand(config),
    };
    emit({ event: 'abandoned', reason: leftBehind.why, mayRemain: leftBehind.what, reap: leftBehind.reap });
  }
  const outcome: PoolOutcome =
    reason === 'interrupted'
      ? 'interrupted'
      : leftBehind !== undefined
        ? 'left-behind'
        : workersReady === 0 && stats.failures > 0
          ? 'no-worker-ready'
          : 'completed';
  const exitCode =
    outcome === 'interrupted'
      ? EXIT_CODES.interrupted
      : outcome === 'completed'
        ? EXIT_CODES.attached
        : EXIT_CODES.backendError;
  const result: PoolResult = redactor.redactValue({
    outcome,
    exitCode,
    master: listener.master,
    workersReady,
    stats,
    elapsedSeconds: elapsedSeconds(),
    ...(leftBehind === undefined ? {} : { leftBehind }),
  });
  emit({ event: 'result', ...result });
  return result;
}
