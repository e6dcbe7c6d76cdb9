import type { WorkerPool } from '@latentci/core';
import type { PoolLoad } from './pool-events.js';

/** Simulated demand on a pool; `stop()` ends it: waiting acquires give up, held leases are released. */
export interface PoolLoadRun {
  stop(): void;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function hold(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Puts `load` on `pool`, the way builds would: each simulated build acquires a worker, keeps the
 * lease for `holdMs` and releases it (SUCCESS), so the pool's time-to-lease shows warm leases
 * (an idle worker was there) next to cold ones (a start on the request path, or a wait).
 */
export function startPoolLoad(pool: WorkerPool, load: PoolLoad): PoolLoadRun {
  const stopping = new AbortController();
  const { signal } = stopping;
  /**
   * One build; resolves once its lease is released (not once the worker stopped), or false when its
   * acquire failed (stopped, the pool closed, or the build cannot be served: a client stops there
   * rather than retrying in a tight loop).
   */
  const build = async (): Promise<boolean> => {
    let lease: Awaited<ReturnType<WorkerPool['acquire']>>;
    try {
      lease = await pool.acquire({ signal });
    } catch {
      return false;
    }
    await hold(load.holdMs, signal);
    // The release stops the worker (ephemeral workers); the next build does not wait for that.
    void lease.release({ result: 'SUCCESS' }).catch(() => {});
    return true;
  };
  let interval: ReturnType<typeof setInterval> | undefined;
  if (load.kind === 'clients') {
    for (let client = 0; client < load.clients; client += 1) {
      void (async () => {
        while (!signal.aborted && (await build()));
      })();
    }
  } else {
    void build();
    interval = setInterval(() => void build(), load.everyMs);
  }
  return {
    stop() {
      clearInterval(interval);
      stopping.abort(new Error('latentci pool stopped its load'));
    },
  };
}
