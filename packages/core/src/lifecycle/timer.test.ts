import { describe, expect, it } from 'vitest';
import { manualClock } from '../testing/manual-clock.js';
import { OneShotTimer } from './timer.js';

describe('OneShotTimer', () => {
  it('fires once after its seconds, and a restart replaces the pending run', async () => {
    const clock = manualClock();
    const timer = new OneShotTimer(clock);
    const fired: number[] = [];
    timer.start(10, () => fired.push(clock.now()));
    await clock.advance(5);
    timer.start(10, () => fired.push(clock.now()));
    await clock.advance(10);
    expect(fired).toEqual([15_000]);
    expect(timer.active).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('stops without firing and stop is idempotent', async () => {
    const clock = manualClock();
    const timer = new OneShotTimer(clock);
    let fired = false;
    timer.start(1, () => {
      fired = true;
    });
    timer.stop();
    timer.stop();
    await clock.advance(2);
    expect(fired).toBe(false);
  });
});
