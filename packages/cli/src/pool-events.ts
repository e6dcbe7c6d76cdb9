import type { WorkerPoolStats } from '@latentci/core';

/** A `WorkerPool` snapshot as `latentci pool` prints it: the pool's counts and its time-to-lease. */
export type PoolSnapshot = Omit<WorkerPoolStats, 'backends'>;

/** How `latentci pool` simulates demand, when it does. */
export type PoolLoad =
  /** `--load N`: N clients, each acquiring again as soon as its lease ended. */
  | { readonly kind: 'clients'; readonly clients: number; readonly holdMs: number }
  /** `--acquire-every <ms>`: one acquire every so many milliseconds, whatever is still waiting. */
  | { readonly kind: 'interval'; readonly everyMs: number; readonly holdMs: number };

/**
 * What `latentci pool` reports while it runs, in order. With `--json` each is printed as one JSON
 * object per line, `event` first; the last line is always the `result`.
 */
export type PoolEvent =
  | {
      readonly event: 'start';
      readonly provider: string;
      /** The names the pool's workers get: `<worker.name>-1` … `<worker.name>-<max>`. */
      readonly workers: readonly string[];
      readonly masterId: string;
      readonly idle: number;
      readonly max: number;
      readonly load?: PoolLoad;
      readonly durationSeconds?: number;
      readonly config?: string;
    }
  | { readonly event: 'listening'; readonly master: string }
  | { readonly event: 'worker-ready'; readonly name: string; readonly startMs: number }
  | { readonly event: 'start-failed'; readonly name: string; readonly message: string }
  | { readonly event: 'backend-quarantined'; readonly seconds: number }
  | {
      readonly event: 'login-refused';
      readonly workerName?: string;
      readonly remoteAddress: string;
      readonly reason: string;
    }
  | ({ readonly event: 'stats'; readonly elapsedSeconds: number } & PoolSnapshot)
  /** The run ends: `duration` reached, or `interrupted` (Ctrl-C); the pool drains and stops every worker. */
  | { readonly event: 'closing'; readonly reason: 'duration' | 'interrupted' }
  /** The cleanup did not finish: why, what may be left, and the command that removes it. */
  | { readonly event: 'abandoned'; readonly reason: string; readonly mayRemain: string; readonly reap: string }
  | ({ readonly event: 'result' } & PoolResult);

export type PoolOutcome = 'completed' | 'interrupted' | 'no-worker-ready' | 'left-behind';

/** How a `latentci pool` run ended. */
export interface PoolResult {
  readonly outcome: PoolOutcome;
  readonly exitCode: number;
  /** The address the workers were told to connect to. */
  readonly master: string;
  /** Workers that started and attached during the run. */
  readonly workersReady: number;
  /** The last snapshot, taken once the pool closed. */
  readonly stats: PoolSnapshot;
  readonly elapsedSeconds: number;
  /** What the cleanup may have left, and how to remove it. */
  readonly leftBehind?: { readonly why: string; readonly what: string; readonly reap: string };
}
