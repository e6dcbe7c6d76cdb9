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

  it('a real worker attaches, runs echo hello and shuts down', async () => {
    const example = await import('./readme-example.js');
    expect(example.version).toMatch(/^3\.7/);
    expect(example.result).toMatchObject({ rc: 0, stdout: 'hello\n', stderr: '' });
    expect(example.exit).toEqual({ code: 0, signal: null });
  }, 60_000);
});
