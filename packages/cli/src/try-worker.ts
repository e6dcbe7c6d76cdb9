import { type LatentWorker, type LatentWorkerState, type Provider, Redactor } from '@latentci/core';
import type { WorkerConnection } from '@latentci/worker-protocol';
import { boundedTeardown, reapCommand } from './bounded-teardown.js';
import { UsageError } from './cli-errors.js';
import { configLatentWorker, masterTarget } from './config/config-latent-worker.js';
import {
  DEFAULT_MASTER_ID,
  DEFAULT_MASTER_PORT,
  type LoadedWorkerConfig,
  type WorkerConfig,
} from './config/worker-config.js';
import { diagnose, type TryFacts } from './diagnosis.js';
import { errorFacts } from './error-facts.js';
import { formatHostPort, type HostPort, parseHostPort } from './listen-address.js';
import { cannotListen, type MasterListener, startMasterListener } from './master-listener.js';
import { MSGPACK_PROTOCOL, masterProtocols } from './master-protocols.js';
import { type InstanceSighting, observeProvider } from './observed-provider.js';
import { providerFromConfig, providerLabel } from './provider/provider-from-config.js';
import { startTcpObserver, type TcpObserver } from './tcp-observer.js';
import { DEFAULT_TRY_TIMEOUT, TEARDOWN_BUDGET_SECONDS, TEARDOWN_GRACE_SECONDS } from './try-defaults.js';
import type { TryCommandResult, TryEvent, TryResult, TryWorkerInfo } from './try-events.js';

export { DEFAULT_TRY_TIMEOUT, TEARDOWN_BUDGET_SECONDS, TEARDOWN_GRACE_SECONDS };

/** How many of the instance's last log lines a result carries. */
export const LAST_LOG_LINES = 20;

export interface TryWorkerOptions {
  /** Seconds the worker gets to connect (the lifecycle's `missingTimeout`). Default 60. */
  readonly timeoutSeconds?: number | undefined;
  /** Leave the instance running after it attached. */
  readonly keep?: boolean | undefined;
  /**
   * `host:port` to only observe: listen there without answering as a master; a TCP connection
   * counts as "reached" (authentication is not checked). The worker is told this address.
   */
  readonly observe?: string | undefined;
  /** `host:port` the worker is told to connect to and the CLI listens on (overrides `worker.masterFQDN`); port 0 picks a free one. */
  readonly master?: string | undefined;
  /**
   * Remove an existing instance of the same name first (Buildbot's behaviour). Default: refuse,
   * as it may belong to another run or to a master sharing the `masterId`.
   */
  readonly replace?: boolean | undefined;
  /**
   * A shell command to run on the worker once it logged in (a Buildbot worker only: the probe
   * cannot run commands); its output streams as `output` events and the result carries its exit code.
   */
  readonly run?: string | undefined;
  /** Seconds the `run` command may take (default 300). */
  readonly runTimeoutSeconds?: number | undefined;
  /** Aborting it ends the try as interrupted, after removing everything started. */
  readonly signal?: AbortSignal | undefined;
  /** Aborting it abandons the teardown at once (a second Ctrl-C); the result says what may be left. */
  readonly abandon?: AbortSignal | undefined;
  /** Seconds the teardown may take. Default `TEARDOWN_BUDGET_SECONDS`. */
  readonly teardownSeconds?: number | undefined;
  /** Receives every event, redacted of the worker password. */
  readonly onEvent?: ((event: TryEvent) => void) | undefined;
  /** Where relative paths and provider packages are looked up. Default `process.cwd()`. */
  readonly cwd?: string | undefined;
}

type Decision =
  | { readonly kind: 'attached' }
  | { readonly kind: 'reached' }
  | { readonly kind: 'refused' }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'interrupted' };

/** Where the CLI listens and what the worker is told. */
function listenTarget(config: WorkerConfig, options: TryWorkerOptions): HostPort {
  const worker = config.worker;
  const defaultPort = worker.masterPort ?? DEFAULT_MASTER_PORT;
  if (options.observe !== undefined) {
    const observed = parseHostPort(options.observe, '--observe');
    return { host: observed.host, port: observed.port ?? defaultPort };
  }
  return masterTarget(worker, options.master);
}

/**
 * Substantiates one worker of `config` and reports whether it reached the master and
 * authenticated, crashed, or timed out; then removes everything it started (unless `keep` and it
 * attached). Resolves with the diagnosis; never leaves a server or an instance behind.
 *
 * @throws UsageError for an invalid `timeoutSeconds`, `master` or `observe`.
 */
export async function tryWorker(
  config: WorkerConfig | LoadedWorkerConfig,
  options: TryWorkerOptions = {},
): Promise<TryResult> {
  const startedAt = Date.now();
  const timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TRY_TIMEOUT;
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError(`--timeout must be a positive number of seconds, got ${String(timeoutSeconds)}`);
  }
  const teardownSeconds = options.teardownSeconds ?? TEARDOWN_BUDGET_SECONDS;
  const mode = options.observe === undefined ? 'attach' : 'observe';
  const target = listenTarget(config, options);
  const redactor = new Redactor();
  redactor.add(config.worker.password);
  const emit = (event: TryEvent) => options.onEvent?.(redactor.redactValue(event));
  const sighting: InstanceSighting = { instanceName: undefined, instanceId: undefined };
  const lastLogLines: string[] = [];
  let master = formatHostPort(target.host, target.port ?? DEFAULT_MASTER_PORT);

  let workerInfo: TryWorkerInfo | undefined;
  const finish = (
    facts: Omit<TryFacts, 'mode' | 'master' | 'timeoutSeconds' | 'lastLogLines'>,
    kept = false,
    command?: TryCommandResult,
  ) => {
    const diagnosis = diagnose({ ...facts, mode, master, timeoutSeconds, lastLogLines: [...lastLogLines] });
    const result: TryResult = redactor.redactValue({
      ...diagnosis,
      master,
      kept,
      ...(workerInfo === undefined ? {} : { worker: workerInfo }),
      ...(command === undefined ? {} : { run: command }),
      ...(sighting.instanceName === undefined ? {} : { instanceName: sighting.instanceName }),
      elapsedSeconds: Math.round((Date.now() - startedAt) / 100) / 10,
    });
    emit({ event: 'result', ...result });
    return result;
  };
  const early = (error: unknown) =>
    finish({
      interrupted: options.signal?.aborted ?? false,
      attached: false,
      connectionsSeen: 0,
      refusals: [],
      failure: errorFacts(error),
    });

  emit({
    event: 'start',
    provider: providerLabel(config),
    worker: config.worker.name,
    masterId: config.worker.masterId ?? DEFAULT_MASTER_ID,
    mode,
    timeoutSeconds,
    ...('file' in config && config.file !== undefined ? { config: config.file } : {}),
  });

  let provider: Provider;
  try {
    // Checked before anything starts; the listener answers the protocols it allows.
    masterProtocols(config.worker.masterProtocol);
    provider = await providerFromConfig(config, { cwd: options.cwd });
  } catch (error) {
    return early(configurationFailure(error));
  }

  // One budget, `--timeout`, for everything before the worker logs in: the check for an existing
  // instance spends from it, and the start gets the rest.
  const deadline = Date.now() + timeoutSeconds * 1000;
  if (options.replace !== true && typeof provider.listOrphans === 'function') {
    const masterId = config.worker.masterId ?? DEFAULT_MASTER_ID;
    // setTimeout fires at once beyond 2^31 − 1 ms (≈ 24.8 days): such a check just waits.
    const checkTimeout = AbortSignal.timeout(Math.min(timeoutSeconds * 1000, 2 ** 31 - 1));
    let existing: readonly { readonly id: string; readonly name?: string | undefined }[] = [];
    try {
      existing = await provider.listOrphans(
        { masterId, workerName: config.worker.name },
        { signal: AbortSignal.any([...(options.signal ? [options.signal] : []), checkTimeout]) },
      );
    } catch (error) {
      if (options.signal?.aborted) return early(error);
      if (checkTimeout.aborted) {
        // The backend did not answer a list within the whole budget: nothing was started, so
        // there is nothing to tear down.
        return finish({
          interrupted: false,
          attached: false,
          connectionsSeen: 0,
          refusals: [],
          unansweredBackend: providerLabel(config),
          unansweredStep: 'listing its instances',
        });
      }
      // Any other failure: the start will meet (and report) the same backend problem.
    }
    if (existing.length > 0) {
      const names = existing.map((instance) => instance.name ?? instance.id).join(', ');
      return early(
        Object.assign(
          new Error(
            `an instance of worker "${config.worker.name}" for master id "${masterId}" already exists (${names}): it may belong to another \`latentci try\` or to a master sharing that masterId, and starting would remove it; pass --replace to remove it, give worker.masterId a value of its own, or remove it with \`${reapCommand(config)}\``,
          ),
          { code: 'CONFIGURATION_ERROR' },
        ),
      );
    }
  }

  let observer: TcpObserver | undefined;
  let listener: MasterListener | undefined;
  let observedConnections = 0;
  let buildbotWorker: WorkerConnection | undefined;
  const decide: { resolve: (decision: Decision) => void } = { resolve: () => {} };
  const decided = new Promise<Decision>((resolve) => {
    decide.resolve = resolve;
  });
  try {
    if (mode === 'observe') {
      observer = await startTcpObserver(target.host, target.port ?? DEFAULT_MASTER_PORT, (remoteAddress) => {
        observedConnections += 1;
        emit({ event: 'connection', remoteAddress });
        decide.resolve({ kind: 'reached' });
      });
    } else {
      listener = await startMasterListener({
        host: target.host,
        port: target.port ?? DEFAULT_MASTER_PORT,
        masterProtocol: config.worker.masterProtocol,
        onConnection: (remoteAddress, protocol) => emit({ event: 'connection', remoteAddress, protocol }),
        onRefusal: ({ workerName, reason, remoteAddress }) => {
          if (workerName !== undefined) emit({ event: 'login', workerName, accepted: false, remoteAddress, reason });
          decide.resolve({ kind: 'refused' });
        },
      });
    }
  } catch (error) {
    return early(
      error instanceof UsageError ? error : cannotListen(target.host, target.port ?? DEFAULT_MASTER_PORT, error),
    );
  }
  master = listener?.master ?? formatHostPort(target.host, observer?.port ?? DEFAULT_MASTER_PORT);
  emit({ event: 'listening', master, mode });

  const closeListener = async () => {
    await listener?.close();
    await observer?.close();
  };

  let worker: LatentWorker;
  try {
    worker = configLatentWorker(config.worker, {
      provider: observeProvider(provider, sighting),
      masterFQDN: master,
      // What the existing-instance check left of the budget (a positive number: 0 would disable it).
      missingTimeout: Math.max((deadline - Date.now()) / 1000, 0.001),
      stopTimeout: teardownSeconds,
    });
  } catch (error) {
    await closeListener();
    return early(error);
  }
  redactor.add(worker.password);

  const unsubscribe = [
    worker.on('state', ({ from, to }: { from: LatentWorkerState; to: LatentWorkerState }) =>
      emit({ event: 'state', from, to }),
    ),
    worker.on('log', ({ line, stream }) => {
      lastLogLines.push(line);
      if (lastLogLines.length > LAST_LOG_LINES) lastLogLines.shift();
      emit({ event: 'log', line, stream });
    }),
    worker.on('progress', (progress) => emit({ event: 'progress', ...progress })),
  ];

  const waiting = new AbortController();
  let backendAnswered = false;
  unsubscribe.push(
    worker.on('progress', () => {
      backendAnswered = true;
    }),
    worker.on('log', () => {
      backendAnswered = true;
    }),
  );
  if (listener) {
    unsubscribe.push(
      listener.attach(worker, {
        onLogin: (remoteAddress, buildbot) => {
          emit({ event: 'login', workerName: worker.name, accepted: true, remoteAddress });
          if (buildbot === undefined) return;
          workerInfo = describeWorker(buildbot);
          emit({ event: 'worker-info', ...workerInfo });
        },
        onBuildbotAttached: (connection) => {
          buildbotWorker = connection;
        },
      }),
    );
  }

  const onAbort = () => decide.resolve({ kind: 'interrupted' });
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  worker.substantiate(undefined, { signal: waiting.signal }).then(
    () => decide.resolve({ kind: 'attached' }),
    (error: unknown) => decide.resolve({ kind: 'failed', error }),
  );

  const decision = await decided;
  const unansweredBackend =
    decision.kind === 'failed' && sighting.startPending === true && !backendAnswered
      ? providerLabel(config)
      : undefined;
  options.signal?.removeEventListener('abort', onAbort);
  const attached = decision.kind === 'attached';
  let command: TryCommandResult | undefined;
  if (attached && options.run !== undefined) {
    command = await runOnWorker(buildbotWorker, options.run, options.runTimeoutSeconds ?? 300, emit, options.signal);
  }
  const keep = attached && options.keep === true;
  waiting.abort(new Error('latentci try finished waiting'));

  emit({
    event: 'teardown',
    kept: keep,
    ...(sighting.instanceName === undefined ? {} : { instanceName: sighting.instanceName }),
  });
  const teardown = keep
    ? 'done'
    : await boundedTeardown(() => worker.shutdown(), teardownSeconds + TEARDOWN_GRACE_SECONDS, options.abandon);
  for (const stop of unsubscribe) stop();
  const incomplete =
    teardown === 'abandoned'
      ? 'the cleanup was abandoned (second interrupt)'
      : teardown === 'overran'
        ? `the backend did not finish the cleanup within ${teardownSeconds + TEARDOWN_GRACE_SECONDS}s`
        : sighting.stopFailure !== undefined && sighting.instanceName !== undefined
          ? `the backend did not confirm the removal (${sighting.stopFailure.split('\n')[0]})`
          : undefined;
  const leftBehind =
    incomplete === undefined || sighting.instanceName === undefined
      ? undefined
      : {
          why: incomplete,
          what: `the instance ${sighting.instanceName} (worker "${config.worker.name}", master id "${config.worker.masterId ?? DEFAULT_MASTER_ID}")`,
          reap: reapCommand(config),
        };
  if (incomplete !== undefined)
    emit({
      event: 'abandoned',
      reason: incomplete,
      ...(leftBehind ? { mayRemain: leftBehind.what, reap: leftBehind.reap } : {}),
    });
  const refusals = (listener?.refusals ?? []).map(({ reason, remoteAddress }) => ({ reason, remoteAddress }));
  const connectionsSeen = listener?.connectionsSeen ?? observedConnections;
  await closeListener();

  return finish(
    {
      interrupted: decision.kind === 'interrupted',
      attached,
      connectionsSeen,
      refusals,
      failure: decision.kind === 'failed' ? errorFacts(decision.error) : undefined,
      unansweredBackend,
      leftBehind,
    },
    keep,
    command,
  );
}

function describeWorker(connection: WorkerConnection): TryWorkerInfo {
  const { info } = connection;
  return {
    version: info.version ?? 'unknown',
    host: info.host?.trim() || info.environ.HOSTNAME || 'unknown',
    system: [info.system, info.environ.OSTYPE].filter(Boolean).join(' ') || 'unknown',
    ...(info.basedir === undefined ? {} : { basedir: info.basedir }),
    protocol: connection.protocol === 'msgpack' ? MSGPACK_PROTOCOL : 'pb',
  };
}

async function runOnWorker(
  connection: WorkerConnection | undefined,
  command: string,
  timeoutSeconds: number,
  emit: (event: TryEvent) => void,
  signal: AbortSignal | undefined,
): Promise<TryCommandResult> {
  emit({ event: 'run', command });
  if (!connection) {
    const result = {
      command,
      exitCode: null,
      error:
        'the worker is not a Buildbot worker (the probe protocol cannot run commands); --run needs a buildbot-worker image',
    };
    emit({ event: 'run-result', ...result });
    return result;
  }
  try {
    const shell = await connection.runShell(
      { command, timeout: null, maxTime: timeoutSeconds, logEnviron: false },
      {
        onOutput: (stream, text) => {
          if (stream !== 'header') emit({ event: 'output', stream, text });
        },
        ...(signal ? { signal } : {}),
      },
    );
    const result = { command, exitCode: shell.rc };
    emit({ event: 'run-result', ...result });
    return result;
  } catch (error) {
    const result = { command, exitCode: null, error: error instanceof Error ? error.message : String(error) };
    emit({ event: 'run-result', ...result });
    return result;
  }
}

/** Errors creating the provider are configuration problems unless they say otherwise. */
function configurationFailure(error: unknown): unknown {
  const { code } = errorFacts(error);
  if (code !== 'UNKNOWN') return error;
  return Object.assign(new Error((error as Error)?.message ?? String(error)), { code: 'CONFIGURATION_ERROR' });
}
