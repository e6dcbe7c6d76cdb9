import { describe, expect, it } from 'vitest';
import { abortableSleep, poll } from './abortable-sleep.js';

describe('abortableSleep and poll', () => {
  it("a sleep rejects with the signal's reason when it aborts, at once if already aborted", async () => {
    const controller = new AbortController();
    const reason = new Error('stopped');
    const sleeping = abortableSleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    await expect(abortableSleep(1, controller.signal)).rejects.toBe(reason);
  });

  it('poll returns the first defined result, or undefined once the timeout passed', async () => {
    let calls = 0;
    const signal = new AbortController().signal;
    expect(
      await poll(async () => (++calls === 3 ? 'ready' : undefined), { interval: 1, timeout: 10_000, signal }),
    ).toBe('ready');
    expect(await poll(async () => undefined, { interval: 5, timeout: 20, signal })).toBeUndefined();
  });
});
