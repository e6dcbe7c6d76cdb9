import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.package.js';

export default defineConfig([
  // import.meta.url (the CLI's own directory, last place provider packages are looked up) in the CJS build.
  packageBuild(['src/index.ts'], { shims: true }),
  // Split: the commands' machinery (config loader, providers, attach server) sits in chunks that
  // bin.js imports only when a command needs it, so `latentci --help` loads nothing but the help text.
  packageBuild(['src/bin.ts'], {
    format: ['esm'],
    dts: false,
    splitting: true,
    banner: { js: '#!/usr/bin/env node' },
  }),
]);
