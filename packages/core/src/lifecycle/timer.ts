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
  // The armed timer's deadline, step and callback: fields, not closures, so arming allocates little.
  #deadline = 0;
  #delay = 0;
  #callback: (() => void) | undefined;
  /** Created when first armed: an idle timer (most of them, on an idle worker) costs no closure. */
  #fire: (() => void) | undefined;

  #onFire(): void {
    const remaining = this.#deadline - this.#clock.now();
    if (remaining > 0 && this.#delay === MAX_TIMER_DELAY_MS) {
      this.#arm(Math.min(remaining, MAX_TIMER_DELAY_MS));
      return;
    }
    const callback = this.#callback;
    this.#active = false;
    this.#handle = undefined;
    this.#callback = undefined;
    callback?.();
  }

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
    this.#callback = callback;
    this.#deadline = this.#clock.now() + Math.max(0, seconds * 1000);
    this.#arm(Math.min(Math.max(0, seconds * 1000), MAX_TIMER_DELAY_MS));
  }

  #arm(delay: number): void {
    this.#delay = delay;
    if (!this.#fire) this.#fire = () => this.#onFire();
    this.#handle = this.#clock.setTimeout(this.#fire, delay);
  }

  stop(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#callback = undefined;
  }
}
