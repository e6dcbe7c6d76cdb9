import type { Clock } from './clock.js';

/**
 * The longest delay one `setTimeout` takes (2^31 − 1 ms, about 24.8 days): Node and browsers fire
 * a longer one AT ONCE. Longer timers are chained in steps of at most this.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * A restartable one-shot timer on a {@link Clock}, in seconds. `start` replaces a running timer;
 * `stop` is idempotent. Used for the build-wait, missing, check-instance and quarantine timers.
 */
export class OneShotTimer {
  readonly #clock: Clock;
  #handle: unknown;
  #active = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** True while the timer is armed and has not fired. */
  get active(): boolean {
    return this.#active;
  }

  /**
   * Arms the timer: `callback` runs once after `seconds` unless `stop` or `start` is called first.
   * Any finite duration works: beyond `MAX_TIMER_DELAY_MS` the timer re-arms itself until the deadline.
   */
  start(seconds: number, callback: () => void): void {
    this.stop();
    this.#active = true;
    const deadline = this.#clock.now() + Math.max(0, seconds * 1000);
    const arm = (delay: number) => {
      this.#handle = this.#clock.setTimeout(() => {
        const remaining = deadline - this.#clock.now();
        if (remaining > 0 && delay === MAX_TIMER_DELAY_MS) {
          arm(Math.min(remaining, MAX_TIMER_DELAY_MS));
          return;
        }
        this.#active = false;
        this.#handle = undefined;
        callback();
      }, delay);
    };
    arm(Math.min(Math.max(0, seconds * 1000), MAX_TIMER_DELAY_MS));
  }

  stop(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}
