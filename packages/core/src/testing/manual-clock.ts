import type { Clock } from '../lifecycle/clock.js';

/** Lets promise callbacks and `setImmediate` work queued so far run to completion. */
export async function settle(rounds = 3): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** A fake {@link Clock} whose time only moves when the test says so. */
export interface ManualClock extends Clock {
  /**
   * Moves time forward by `seconds`, firing every timer that falls due, in order, and letting the
   * asynchronous work each one starts settle before the next fires.
   */
  advance(seconds: number): Promise<void>;
  /** Timers set and not yet fired or cleared. A shut-down worker leaves none. */
  readonly pendingTimers: number;
  /** Seconds until the next timer fires, or undefined when none is pending. */
  nextTimerIn(): number | undefined;
}

interface PendingTimer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
}

/** Creates a fake clock starting at `startMilliseconds`. */
export function manualClock(startMilliseconds = 0): ManualClock {
  let now = startMilliseconds;
  let nextId = 1;
  const timers = new Map<number, PendingTimer>();
  const earliest = (): PendingTimer | undefined => {
    let found: PendingTimer | undefined;
    for (const timer of timers.values()) {
      if (!found || timer.due < found.due || (timer.due === found.due && timer.id < found.id)) found = timer;
    }
    return found;
  };
  return {
    now: () => now,
    setTimeout(callback, milliseconds) {
      const id = nextId++;
      timers.set(id, { id, due: now + Math.max(0, milliseconds), callback });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    get pendingTimers() {
      return timers.size;
    },
    nextTimerIn() {
      const timer = earliest();
      return timer === undefined ? undefined : (timer.due - now) / 1000;
    },
    async advance(seconds) {
      const target = now + seconds * 1000;
      await settle();
      for (;;) {
        const timer = earliest();
        if (!timer || timer.due > target) break;
        timers.delete(timer.id);
        now = Math.max(now, timer.due);
        timer.callback();
        await settle();
      }
      now = target;
      await settle();
    },
  };
}
