/**
 * The source of time of a `LatentWorker`. Every timer of the lifecycle (build wait, missing,
 * check-instance, quarantine) goes through it, so tests can drive time with a fake clock
 * (`manualClock()` from `@latentci/core/testing`) instead of sleeping.
 *
 * Durations are milliseconds here, like `setTimeout`; worker options are seconds, like Buildbot.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin; only differences are used. */
  now(): number;
  /** Calls `callback` once after `milliseconds`. Returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, milliseconds: number): unknown;
  /** Cancels a timer set by `setTimeout`; a handle of a timer that already fired is ignored. */
  clearTimeout(handle: unknown): void;
}

/** The real clock: `Date.now()` and the global timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, milliseconds) => setTimeout(callback, milliseconds),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
