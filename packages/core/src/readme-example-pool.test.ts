import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertReadmeShowsExample } from '../../../tests/support/readme-example.js';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const examplePath = fileURLToPath(new URL('./readme-example-pool.ts', import.meta.url));

describe('the README example of warm pools', () => {
  it('is shown verbatim in the README', () => {
    assertReadmeShowsExample(readmePath, examplePath, 'Warm pools');
  });

  it('leases a warm, attached worker and leaves nothing after close', async () => {
    const example = await import('./readme-example-pool.js');
    expect(example.workerNames).toEqual(['linux-1', 'linux-2', 'linux-3', 'linux-4']);
    expect(example.leased).toEqual({ name: 'linux-2', warm: true, attached: true });
    expect(example.stats).toMatchObject({ idle: 2, leased: 0, leases: 1, warmLeases: 1, failures: 0 });
    expect(example.afterClose).toBe(0);
  });
});
