import type { OrphanInstance } from '@latentci/core';
import { describe, expect, it } from 'vitest';
import { reapEach } from './reap-each.js';

const orphans: OrphanInstance[] = Array.from({ length: 10 }, (_, index) => ({
  id: `c${index}`,
  masterId: 'm',
  workerName: `w${index}`,
}));

describe('reapEach', () => {
  it('removes every orphan, at most `concurrency` at a time, and reports the failures with their message', async () => {
    let running = 0;
    let most = 0;
    const result = await reapEach(
      orphans,
      async (orphan) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
        if (orphan.id === 'c3') throw new Error('container is busy');
      },
      { signal: new AbortController().signal, concurrency: 3 },
    );
    expect(most).toBe(3);
    expect(result.removed.map((orphan) => orphan.id).sort()).toEqual(
      orphans.map((orphan) => orphan.id).filter((id) => id !== 'c3'),
    );
    expect(result.failed).toEqual([{ instance: orphans[3], message: 'container is busy' }]);
  });

  it("stops at an abort and rejects with the signal's reason", async () => {
    const controller = new AbortController();
    const reason = new Error('master shutting down');
    const seen: string[] = [];
    const reaping = reapEach(
      orphans,
      async (orphan) => {
        seen.push(orphan.id);
        if (orphan.id === 'c1') controller.abort(reason);
      },
      { signal: controller.signal, concurrency: 1 },
    );
    await expect(reaping).rejects.toBe(reason);
    expect(seen).toEqual(['c0', 'c1']);
  });
});
