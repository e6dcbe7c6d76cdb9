import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { assertReadmeShowsExample } from '../../../tests/support/readme-example.js';

it('the README shows readme-example.ts, which tries a worker on the in-memory provider and reports it attached', async () => {
  assertReadmeShowsExample(
    fileURLToPath(new URL('../README.md', import.meta.url)),
    fileURLToPath(new URL('./readme-example.ts', import.meta.url)),
  );
  const { provider, result } = await import('./readme-example.js');
  expect(result).toMatchObject({
    outcome: 'attached',
    exitCode: 0,
    reachedMaster: true,
    authenticated: true,
    kept: false,
  });
  expect(provider.liveInstances).toEqual([]);
  expect(provider.startCount).toBe(1);
  expect(provider.stopCount).toBe(1);
});
