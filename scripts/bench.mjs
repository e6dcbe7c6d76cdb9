#!/usr/bin/env node
// `pnpm bench [--quick] [--json] [--only a,b]`: runs bench/run.ts from the sources (tsx resolves
// @latentci/* through tsconfig.json's paths), with the GC exposed for the heap figures.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureSupportedNode } from './supported-node.mjs';

ensureSupportedNode(fileURLToPath(import.meta.url));

const root = fileURLToPath(new URL('..', import.meta.url));
const result = spawnSync(
  process.execPath,
  ['--expose-gc', '--import', 'tsx', 'bench/run.ts', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
