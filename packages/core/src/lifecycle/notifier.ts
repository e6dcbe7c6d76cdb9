/**
 * A multi-waiter notifier: everybody waiting when `notify` is called gets the same outcome
 * (Buildbot's substantiation notifier). A waiter may stop waiting with its own `AbortSignal`.
 */
export type NotifierOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class Notifier {
  readonly #waiters = new Set<Waiter>();

  get waiterCount(): number {
    return this.#waiters.size;
  }

  /**
   * Waits for the next `notify`. When `signal` aborts first, rejects with its reason and calls
   * `onAbandoned` with the number of waiters left.
   */
  wait(signal?: AbortSignal, onAbandoned?: (remaining: number) => void): Promise<void> {
    if (!signal) {
      // Nothing can abandon the wait: the promise's own functions are the waiter.
      return new Promise<void>((resolve, reject) => {
        this.#waiters.add({ resolve, reject });
      });
    }
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const abort = () => {
        if (!this.#waiters.delete(waiter)) return;
        reject(signal?.reason);
        onAbandoned?.(this.#waiters.size);
      };
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', abort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', abort);
          reject(error);
        },
      };
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  /** Settles every current waiter with `outcome`. Returns how many were waiting. */
  notify(outcome: NotifierOutcome): number {
    const count = this.#waiters.size;
    if (count === 0) return 0;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) {
      if (outcome.ok) waiter.resolve();
      else waiter.reject(outcome.error);
    }
    return count;
  }
}
