import type { Diagnosis } from './diagnosis.js';

/**
 * What `latentci try` reports while it runs, in order. With `--json` each is printed as one JSON
 * object per line, `event` first; the last line is always the `result`.
 */
export type TryEvent =
  | {
      readonly event: 'start';
      readonly provider: string;
      readonly worker: string;
      readonly masterId: string;
      readonly mode: 'attach' | 'observe';
      readonly timeoutSeconds: number;
      readonly config?: string;
    }
  | { readonly event: 'listening'; readonly master: string; readonly mode: 'attach' | 'observe' }
  | { readonly event: 'state'; readonly from: string; readonly to: string }
  | { readonly event: 'log'; readonly line: string; readonly stream: 'stdout' | 'stderr' }
  | {
      readonly event: 'progress';
      readonly phase: string;
      readonly status: string;
      readonly id?: string;
      readonly current?: number;
      readonly total?: number;
    }
  /** A TCP connection arrived at the master address (`remoteAddress` is `unknown` when only counted). */
  | { readonly event: 'connection'; readonly remoteAddress: string }
  | {
      readonly event: 'login';
      readonly workerName: string;
      readonly accepted: boolean;
      readonly remoteAddress: string;
      readonly reason?: string;
    }
  | { readonly event: 'teardown'; readonly kept: boolean; readonly instanceName?: string }
  /** The teardown did not finish: why, what may be left, and the command that removes it. */
  | { readonly event: 'abandoned'; readonly reason: string; readonly mayRemain?: string; readonly reap?: string }
  | ({ readonly event: 'result' } & TryResult);

/** The result of one try: the diagnosis, plus what was left behind. */
export interface TryResult extends Diagnosis {
  /** The address the worker was told to connect to. */
  readonly master: string;
  /** The instance was left running (`--keep` after a successful attach). */
  readonly kept: boolean;
  /** The instance's name (`buildbot-<worker>-<masterhash>`), once a start was requested. */
  readonly instanceName?: string;
  readonly elapsedSeconds: number;
}
