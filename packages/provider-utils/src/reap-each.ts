import { isAbortError, type OrphanInstance, type ReapResult } from '@latentci/core';

export interface ReapEachOptions {
  readonly signal: AbortSignal;
  /** How many removals run at once (default 4): a backend is not flooded by a large reap. */
  readonly concurrency?: number | undefined;
}

/**
 * Removes each orphan with `remove`, at most `concurrency` at a time, and reports what was removed
 * and what failed (with the error's message). When the signal aborts, the reap stops and rejects
 * with `signal.reason`; removals already sent finish.
 */
export async function reapEach(
  orphans: readonly OrphanInstance[],
  remove: (orphan: OrphanInstance, signal: AbortSignal) => Promise<void>,
  options: ReapEachOptions,
): Promise<ReapResult> {
  const removed: OrphanInstance[] = [];
  const failed: { instance: OrphanInstance; message: string }[] = [];
  const queue = [...orphans];
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const lane = async () => {
    for (let orphan = queue.shift(); orphan !== undefined; orphan = queue.shift()) {
      options.signal.throwIfAborted();
      try {
        await remove(orphan, options.signal);
        removed.push(orphan);
      } catch (error) {
        if (options.signal.aborted) throw options.signal.reason;
        if (isAbortError(error)) throw error;
        failed.push({ instance: orphan, message: error instanceof Error ? error.message : String(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, lane));
  return { removed, failed };
}
