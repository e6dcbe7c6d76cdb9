import { describe, expect, it } from 'vitest';
import { Mutex } from './mutex.js';

describe('Mutex', () => {
  it('grants the lock to one holder at a time, first come first served', async () => {
    const mutex = new Mutex();
    const order: string[] = [];
    const releaseFirst = await mutex.acquire();
    const second = mutex.acquire().then((release) => {
      order.push('second');
      release();
    });
    const third = mutex.acquire().then((release) => {
      order.push('third');
      release();
    });
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(mutex.locked).toBe(true);
    releaseFirst();
    releaseFirst();
    await Promise.all([second, third]);
    expect(order).toEqual(['second', 'third']);
    expect(mutex.locked).toBe(false);
  });
});
