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
  /** A TCP connection arrived at the master address, speaking `protocol` (`probe`, or Buildbot's `pb`/`msgpack`). */
  | { readonly event: 'connection'; readonly remoteAddress: string; readonly protocol?: string }
  | {
      readonly event: 'login';
      readonly workerName: string;
      readonly accepted: boolean;
      readonly remoteAddress: string;
      readonly reason?: string;
    }
  /** What a Buildbot worker told about itself once logged in. */
  | ({ readonly event: 'worker-info' } & TryWorkerInfo)
  /** `--run`: the command starts; its output follows as `output` events, then `run-result`. */
  | { readonly event: 'run'; readonly command: string }
  | { readonly event: 'output'; readonly stream: 'stdout' | 'stderr'; readonly text: string }
  | ({ readonly event: 'run-result' } & TryCommandResult)
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
  /** A Buildbot worker's own info, when one logged in. */
  readonly worker?: TryWorkerInfo;
  /** The `--run` command's result. */
  readonly run?: TryCommandResult;
}

/** A Buildbot worker's info: `buildbot-worker` version, host name, OS. */
export interface TryWorkerInfo {
  readonly version: string;
  readonly host: string;
  /** Python's `os.name` (`posix`, `nt`). */
  readonly system: string;
  readonly basedir?: string;
  /** The protocol it logged in with: `pb` or `msgpack_experimental_v7`. */
  readonly protocol: 'pb' | 'msgpack_experimental_v7';
}

export interface TryCommandResult {
  readonly command: string;
  /** The command's exit code; `null` when it could not run (`error` says why). */
  readonly exitCode: number | null;
  readonly error?: string;
}
