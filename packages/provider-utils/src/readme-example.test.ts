import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertReadmeShowsExample } from '../../../tests/support/readme-example.js';

describe('README example', () => {
  it('is shown verbatim in the README', () => {
    assertReadmeShowsExample(
      fileURLToPath(new URL('../README.md', import.meta.url)),
      fileURLToPath(new URL('./readme-example.ts', import.meta.url)),
    );
  });

  it('runs', async () => {
    const example = await import('./readme-example.js');
    expect(example.apiKey).toBe('from-the-environment');
    expect(example.env).toEqual(['WORKERNAME=linux-1', 'BUILDMASTER=ci.example.org']);
    expect(example.lines).toEqual(['stdout: hello']);
    expect(example.reaped).toEqual({ removed: [{ id: 'c1', masterId: 'ci', workerName: 'linux-1' }], failed: [] });
  });
});
