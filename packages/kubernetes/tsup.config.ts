import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.package.js';

const entry = ['src/index.ts', 'src/testing.ts'];

// kubernetes-models (the simulator's schema validators) is ESM-only, without a `require` export:
// the CommonJS build bundles it so that `require('@latentci/kubernetes/testing')` works; the ESM
// build imports it. The client is ESM-only too, but Node >= 22.12 can require() it.
export default defineConfig([
  packageBuild(entry, { format: ['esm'], target: 'node22' }),
  packageBuild(entry, {
    format: ['cjs'],
    target: 'node22',
    noExternal: [/^kubernetes-models(\/|$)/, /^@kubernetes-models\//],
  }),
]);
