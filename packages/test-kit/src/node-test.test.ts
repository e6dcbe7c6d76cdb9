import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const repository = fileURLToPath(new URL('../../../', import.meta.url));

it('the node:test adapter runs the suite under `node --test`', () => {
  const directory = mkdtempSync(join(tmpdir(), 'latentci-node-test-'));
  try {
    // Resolve the packages to their sources, like vitest's aliases do.
    writeFileSync(
      join(directory, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2023',
          baseUrl: repository,
          paths: {
            '@latentci/core': ['packages/core/src/index.ts'],
            '@latentci/core/*': ['packages/core/src/*.ts'],
            '@latentci/test-kit': ['packages/test-kit/src/index.ts'],
            '@latentci/test-kit/*': ['packages/test-kit/src/*.ts'],
          },
        },
      }),
    );
    const file = join(directory, 'conformance.test.ts');
    writeFileSync(
      file,
      [
        "import { inMemoryConformance } from '@latentci/test-kit';",
        "import { describeConformance } from '@latentci/test-kit/node-test';",
        'describeConformance({ ...inMemoryConformance(), timeout: 30_000 });',
      ].join('\n'),
    );
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, TSX_TSCONFIG_PATH: join(directory, 'tsconfig.json'), NODE_OPTIONS: '' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.stdout).toMatch(/# pass [1-9]\d*\b/);
    expect(result.stdout).toMatch(/# fail 0\b/);
    expect(result.stdout).toContain('ok 2 - in-memory on in-memory › start-attach-stop');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
