import type { Clock } from './clock.js';

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

  /** Arms the timer: `callback` runs once after `seconds` unless `stop` or `start` is called first. */
  start(seconds: number, callback: () => void): void {
    this.stop();
    this.#active = true;
    this.#handle = this.#clock.setTimeout(
      () => {
        this.#active = false;
        this.#handle = undefined;
        callback();
      },
      Math.max(0, seconds * 1000),
    );
  }

  stop(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}
