import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.package.js';

export default defineConfig([
  // shims: import.meta.url in the CJS build (ensureBuildbotWorkerImage finds its build files by it);
  // the build files travel in dist/buildbot-worker, so the npm tarball holds them.
  packageBuild(['src/index.ts', 'src/node-test.ts'], {
    shims: true,
    onSuccess: 'rm -rf dist/buildbot-worker && cp -R buildbot-worker dist/buildbot-worker',
  }),
  // Vitest cannot be loaded with require(): its adapter is ESM only, like vitest itself.
  packageBuild(['src/vitest.ts'], { format: ['esm'] }),
]);
