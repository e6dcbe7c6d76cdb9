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
    return new Promise((resolve) => {
      const grant = () => {
        this.#locked = true;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.#release();
        });
      };
      if (this.#locked) this.#queue.push(grant);
      else grant();
    });
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#locked = false;
  }
}
