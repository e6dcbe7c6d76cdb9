import type { Clock } from './clock.js';
import { OneShotTimer } from './timer.js';

/** First quarantine wait, in seconds (Buildbot's `quarantine_initial_timeout`). */
export const QUARANTINE_INITIAL_TIMEOUT = 10;
/** Longest quarantine wait, in seconds (Buildbot's `quarantine_max_timeout`). */
export const QUARANTINE_MAX_TIMEOUT = 3600;

export interface QuarantineListener {
  entered(seconds: number): void;
  left(reason: 'expired' | 'stopped'): void;
}

/**
 * Quarantine with exponential backoff (Buildbot's): consecutive failures wait 10, 20, 40 …
 * 3600 s. Entering while quarantined changes nothing (the timer is not extended). `reset()` brings
 * the next wait back to 10 s; `stopTimer()` leaves quarantine now but keeps the backoff.
 */
export class Quarantine {
  readonly #timer: OneShotTimer;
  readonly #listener: QuarantineListener;
  #timeout = QUARANTINE_INITIAL_TIMEOUT;

  constructor(clock: Clock, listener: QuarantineListener) {
    this.#timer = new OneShotTimer(clock);
    this.#listener = listener;
  }

  get isQuarantined(): boolean {
    return this.#timer.active;
  }

  /** The wait, in seconds, of the next quarantine. */
  get nextTimeout(): number {
    return this.#timeout;
  }

  /** Enters quarantine for the current backoff and doubles it (capped). Returns false if already quarantined. */
  put(): boolean {
    if (this.#timer.active) return false;
    const seconds = this.#timeout;
    this.#timer.start(seconds, () => this.#listener.left('expired'));
    this.#timeout = Math.min(this.#timeout * 2, QUARANTINE_MAX_TIMEOUT);
    this.#listener.entered(seconds);
    return true;
  }

  /** The next quarantine lasts 10 s again (a build succeeded). Does not end a running quarantine. */
  reset(): void {
    this.#timeout = QUARANTINE_INITIAL_TIMEOUT;
  }

  /** Leaves quarantine immediately (unpause, shutdown). The backoff is kept. */
  stopTimer(): void {
    if (!this.#timer.active) return;
    this.#timer.stop();
    this.#listener.left('stopped');
  }
}
