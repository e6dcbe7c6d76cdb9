import { DEFAULT_MASTER_ID, type LoadedWorkerConfig, type WorkerConfig } from './config/worker-config.js';

/**
 * A teardown (`worker.shutdown()`, `pool.close()`) bounded by `seconds` and by `abandon`: a
 * backend that never answers, or a user who will not wait (a second Ctrl-C), cannot hold the CLI.
 * Whatever is abandoned carries the owner labels, so `latentci reap` finds it. A teardown that
 * fails counts as done: what it could not remove is the backend's to report.
 */
export async function boundedTeardown(
  teardown: () => Promise<unknown>,
  seconds: number,
  abandon: AbortSignal | undefined,
): Promise<'done' | 'abandoned' | 'overran'> {
  if (abandon?.aborted) return 'abandoned';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbandon: (() => void) | undefined;
  const done = teardown().then(
    () => 'done' as const,
    () => 'done' as const,
  );
  try {
    return await Promise.race([
      done,
      new Promise<'overran'>((resolve) => {
        timer = setTimeout(() => resolve('overran'), seconds * 1000);
      }),
      new Promise<'abandoned'>((resolve) => {
        onAbandon = () => resolve('abandoned');
        abandon?.addEventListener('abort', onAbandon, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbandon) abandon?.removeEventListener('abort', onAbandon);
  }
}

/** The command that removes what a command run with this config may have left. */
export function reapCommand(config: WorkerConfig | LoadedWorkerConfig): string {
  if ('file' in config && config.file !== undefined) return `latentci reap ${config.file}`;
  const masterId = config.worker.masterId ?? DEFAULT_MASTER_ID;
  return typeof config.provider === 'string'
    ? `latentci reap --provider ${config.provider} --settings '<the settings>' --master-id ${masterId}`
    : `latentci reap <config> --master-id ${masterId}`;
}
