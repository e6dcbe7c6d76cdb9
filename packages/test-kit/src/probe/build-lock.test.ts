import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireBuildLock, type BuildLockTimings } from './build-lock.js';

const directory = mkdtempSync(join(tmpdir(), 'latentci-build-lock-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const timings: BuildLockTimings = { staleAfterMs: 400, refreshEveryMs: 100, waitAtMostMs: 10_000, pollEveryMs: 20 };
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('the probe image build lock', () => {
  it('stays with a holder whose build outlasts the stale age (regression: a second build started after 120 s)', async () => {
    const path = join(directory, 'long-build.lock');
    const first = await acquireBuildLock(path, { doneElsewhere: async () => false, timings });
    expect(first).not.toBe('done-elsewhere');
    let secondAcquiredAt: number | undefined;
    const second = acquireBuildLock(path, { doneElsewhere: async () => false, timings }).then((lock) => {
      secondAcquiredAt = Date.now();
      return lock;
    });
    // Three times the stale age: the holder keeps refreshing, so nobody takes the lock over.
    await sleep(3 * timings.staleAfterMs);
    expect(secondAcquiredAt).toBeUndefined();
    expect(Date.now() - statSync(path).mtimeMs).toBeLessThan(timings.staleAfterMs);
    const releasedAt = Date.now();
    if (first !== 'done-elsewhere') await first.release();
    const lock = await second;
    expect(secondAcquiredAt).toBeGreaterThanOrEqual(releasedAt);
    if (lock !== 'done-elsewhere') await lock.release();
  });

  it('takes over a lock nobody refreshes (its holder died), and stops waiting when the work was done elsewhere', async () => {
    const path = join(directory, 'dead-holder.lock');
    const dead = await acquireBuildLock(path, {
      doneElsewhere: async () => false,
      timings: { ...timings, refreshEveryMs: 60_000 },
    });
    const lock = await acquireBuildLock(path, { doneElsewhere: async () => false, timings });
    expect(lock).not.toBe('done-elsewhere');
    expect(await acquireBuildLock(path, { doneElsewhere: async () => true, timings })).toBe('done-elsewhere');
    if (lock !== 'done-elsewhere') await lock.release();
    if (dead !== 'done-elsewhere') await dead.release();
  });
});
