import { describe, expect, it } from 'vitest';
import { manualClock } from './manual-clock.js';

describe('manualClock', () => {
  it('fires due timers in order and lets their async work settle in between', async () => {
    const clock = manualClock();
    const order: string[] = [];
    clock.setTimeout(() => order.push('b@2'), 2000);
    clock.setTimeout(() => {
      order.push('a@1');
      Promise.resolve().then(() => order.push('a settled'));
    }, 1000);
    const cleared = clock.setTimeout(() => order.push('never'), 1500);
    clock.clearTimeout(cleared);
    expect(clock.nextTimerIn()).toBe(1);
    await clock.advance(1.5);
    expect(order).toEqual(['a@1', 'a settled']);
    expect(clock.now()).toBe(1500);
    await clock.advance(1);
    expect(order).toEqual(['a@1', 'a settled', 'b@2']);
    expect(clock.pendingTimers).toBe(0);
    expect(clock.nextTimerIn()).toBeUndefined();
  });

  it('fires timers set by timers within the same advance', async () => {
    const clock = manualClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 0);
    }, 1000);
    await clock.advance(1);
    expect(fired).toEqual([1000, 1000]);
  });
});
