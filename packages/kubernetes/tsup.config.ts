import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.package.js';

// kubernetes-models (the simulator's schema validators) is ESM-only without a `require` export:
// bundle it so that the CommonJS build of `./testing` loads too. The client is ESM-only as well,
// but Node >= 22.12 can require() it.
export default defineConfig(
  packageBuild(['src/index.ts', 'src/testing.ts'], {
    target: 'node22',
    noExternal: [/^kubernetes-models(\/|$)/, /^@kubernetes-models\//],
  }),
);
