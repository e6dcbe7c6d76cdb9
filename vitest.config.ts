import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDirectory = fileURLToPath(new URL('./packages/', import.meta.url));

// Tests import the packages by their published names; resolve those to the sources so a test
// run needs no build. The packed-tarball smoke test covers the built output.
export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^@latentci\/([a-z-]+)$/,
        replacement: `${packagesDirectory}$1/src/index.ts`,
      },
      {
        find: /^@latentci\/([a-z-]+)\/([a-z-]+)$/,
        replacement: `${packagesDirectory}$1/src/$2.ts`,
      },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/*/**/*.test.ts', 'tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    setupFiles: ['tests/support/secret-hygiene.ts'],
    pool: 'forks',
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
