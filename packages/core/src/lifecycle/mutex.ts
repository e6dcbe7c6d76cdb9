/**
 * A fair (first come, first served) asynchronous mutex. `startInstance`, `stopInstance` and
 * `checkInstance` of one worker run under it, so they never overlap (Buildbot's start/stop lock).
 */
export class Mutex {
  #locked = false;
  readonly #queue: (() => void)[] = [];

  get locked(): boolean {
    return this.#locked;
  }

  /** Resolves with a release function once the lock is held. Call it exactly once. */
  acquire(): Promise<() => void> {
    if (!this.#locked) {
      // Uncontended: no queue entry, no executor.
      this.#locked = true;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve) => {
      this.#queue.push(() => {
        this.#locked = true;
        resolve(this.#releaser());
      });
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release();
    };
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#locked = false;
  }
}
