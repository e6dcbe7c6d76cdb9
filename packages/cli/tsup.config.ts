import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.package.js';

export default defineConfig([
  // import.meta.url (the CLI's own directory, last place provider packages are looked up) in the CJS build.
  packageBuild(['src/index.ts'], { shims: true }),
  packageBuild(['src/bin.ts'], { format: ['esm'], dts: false, banner: { js: '#!/usr/bin/env node' } }),
]);
