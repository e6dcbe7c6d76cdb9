import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertReadmeShowsExample } from '../../../tests/support/readme-example.js';

describe('the README example', () => {
  it('is shown verbatim in the README', () => {
    assertReadmeShowsExample(
      fileURLToPath(new URL('../README.md', import.meta.url)),
      fileURLToPath(new URL('./readme-example.ts', import.meta.url)),
    );
  });

  it('starts a Pod whose worker attaches, and deletes it after the build', async () => {
    const example = await import('./readme-example.js');
    expect(example.attached).toBe(true);
    expect(example.podsLeft).toBe(0);
    // A few seconds alone; the Docker engine is shared, so give it room under load.
  }, 180_000);
});
