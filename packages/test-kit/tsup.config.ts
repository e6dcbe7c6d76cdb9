import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.package.js';

export default defineConfig([
  packageBuild(['src/index.ts', 'src/node-test.ts']),
  // Vitest cannot be loaded with require(): its adapter is ESM only, like vitest itself.
  packageBuild(['src/vitest.ts'], { format: ['esm'] }),
]);
