import { describe, expect, it } from 'vitest';
import { Notifier } from './notifier.js';

describe('Notifier', () => {
  it('settles every waiter with the same outcome', async () => {
    const notifier = new Notifier();
    const waits = [notifier.wait(), notifier.wait()];
    expect(notifier.notify({ ok: true })).toBe(2);
    await Promise.all(waits);
    const error = new Error('failed');
    const failing = [notifier.wait(), notifier.wait()];
    notifier.notify({ ok: false, error });
    for (const wait of failing) await expect(wait).rejects.toBe(error);
    expect(notifier.waiterCount).toBe(0);
  });

  it('lets one waiter give up with its signal and reports how many remain', async () => {
    const notifier = new Notifier();
    const controller = new AbortController();
    const remaining: number[] = [];
    const leaving = notifier.wait(controller.signal, (count) => remaining.push(count));
    const staying = notifier.wait();
    const reason = new Error('gave up');
    controller.abort(reason);
    await expect(leaving).rejects.toBe(reason);
    expect(remaining).toEqual([1]);
    notifier.notify({ ok: true });
    await staying;
  });

  it('rejects at once when the signal is already aborted', async () => {
    const notifier = new Notifier();
    await expect(notifier.wait(AbortSignal.abort(new Error('late')))).rejects.toThrow('late');
    expect(notifier.waiterCount).toBe(0);
  });
});
