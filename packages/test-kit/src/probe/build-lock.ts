import { mkdir, rm, stat, utimes } from 'node:fs/promises';

export interface BuildLockTimings {
  /** A lock whose directory was not touched for this long is stale (its holder died): taken over. */
  readonly staleAfterMs: number;
  /** How often the holder touches the lock, well below `staleAfterMs`. */
  readonly refreshEveryMs: number;
  /** How long a waiter waits for the holder before giving up. */
  readonly waitAtMostMs: number;
  /** Between two looks at the lock. */
  readonly pollEveryMs: number;
}

export const PROBE_BUILD_LOCK_TIMINGS: BuildLockTimings = {
  staleAfterMs: 60_000,
  refreshEveryMs: 10_000,
  waitAtMostMs: 600_000,
  pollEveryMs: 200,
};

/** A held lock: `release` stops refreshing it and removes it. */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * A cross-process lock: a directory made with `mkdir` (atomic). The holder touches it every
 * `refreshEveryMs`, so a build that takes longer than `staleAfterMs` keeps its lock; only a lock
 * nobody refreshes (its process died) is taken over. Resolves `'done-elsewhere'` when `doneElsewhere`
 * says another process already did the work.
 */
export async function acquireBuildLock(
  path: string,
  options: { signal?: AbortSignal | undefined; doneElsewhere: () => Promise<boolean>; timings?: BuildLockTimings },
): Promise<HeldLock | 'done-elsewhere'> {
  const timings = options.timings ?? PROBE_BUILD_LOCK_TIMINGS;
  const deadline = Date.now() + timings.waitAtMostMs;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      await mkdir(path);
      return hold(path, timings);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = await stat(path).then(
      (found) => Date.now() - found.mtimeMs,
      () => 0,
    );
    if (age > timings.staleAfterMs) {
      await rm(path, { recursive: true, force: true });
      continue;
    }
    if (await options.doneElsewhere()) return 'done-elsewhere';
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timings.waitAtMostMs} ms waiting for another process (lock ${path})`);
    }
    await new Promise((resolve) => setTimeout(resolve, timings.pollEveryMs));
  }
}

function hold(path: string, timings: BuildLockTimings): HeldLock {
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, timings.refreshEveryMs);
  refresh.unref();
  return {
    async release() {
      clearInterval(refresh);
      await rm(path, { recursive: true, force: true });
    },
  };
}
