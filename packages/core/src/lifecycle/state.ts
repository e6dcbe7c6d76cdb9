/**
 * The seven states of a latent worker (Buildbot's `States`, since 3.8.0).
 *
 * - `NOT_SUBSTANTIATED`: idle, nothing running.
 * - `SUBSTANTIATING`: a start was requested; `startInstance` is not called yet.
 * - `SUBSTANTIATING_STARTING`: `startInstance` was called (it may not have returned). The only
 *   state in which a worker connection is accepted (unless `buildWaitTimeout < 0`) and in which
 *   `checkInstance` runs.
 * - `SUBSTANTIATED`: the worker attached.
 * - `INSUBSTANTIATING`: `stopInstance` is in progress (or about to run).
 * - `INSUBSTANTIATING_SUBSTANTIATING`: a stop is in progress and a start is queued behind it.
 * - `SHUT_DOWN`: `shutdown()` finished; the worker takes no more builds.
 */
export const LatentWorkerState = {
  NOT_SUBSTANTIATED: 'NOT_SUBSTANTIATED',
  SUBSTANTIATING: 'SUBSTANTIATING',
  SUBSTANTIATING_STARTING: 'SUBSTANTIATING_STARTING',
  SUBSTANTIATED: 'SUBSTANTIATED',
  INSUBSTANTIATING: 'INSUBSTANTIATING',
  INSUBSTANTIATING_SUBSTANTIATING: 'INSUBSTANTIATING_SUBSTANTIATING',
  SHUT_DOWN: 'SHUT_DOWN',
} as const;

export type LatentWorkerState = (typeof LatentWorkerState)[keyof typeof LatentWorkerState];

/** States in which a substantiation is waited for (its waiters share one result). */
export function isSubstantiating(state: LatentWorkerState): boolean {
  return (
    state === LatentWorkerState.SUBSTANTIATING ||
    state === LatentWorkerState.SUBSTANTIATING_STARTING ||
    state === LatentWorkerState.INSUBSTANTIATING_SUBSTANTIATING
  );
}
