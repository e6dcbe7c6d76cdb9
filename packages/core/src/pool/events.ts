import type { BuildResult } from '../lifecycle/latent-worker.js';

/** The events a `WorkerPool` emits. Payloads carry no secret. */
export interface WorkerPoolEvents {
  /** A worker started and attached; it is idle (or about to serve a waiting `acquire()`). */
  'worker-ready': { readonly name: string; readonly backend: string; readonly startMs: number };
  /** A lease was handed out; `warm` when the worker was idle before the request came. */
  leased: { readonly name: string; readonly backend: string; readonly warm: boolean; readonly waitedMs: number };
  /** A lease ended; `reused` when the worker went back to the idle set. */
  released: {
    readonly name: string;
    readonly backend: string;
    readonly result: BuildResult | undefined;
    readonly reused: boolean;
  };
  /** A worker's instance was stopped and its name is free again. */
  'worker-stopped': { readonly name: string; readonly backend: string; readonly reason: string };
  /** A start failed; `error` is the lifecycle's typed error. */
  'start-failed': { readonly name: string; readonly backend: string; readonly error: Error };
  /** A backend's starts failed: no start goes to it for `seconds` (10, 20, 40 … 3600). */
  'backend-quarantined': { readonly backend: string; readonly seconds: number };
  /** A backend takes starts again. */
  'backend-available': { readonly backend: string };
  /** `close()` finished: no worker is left. */
  closed: Record<string, never>;
}
