#!/usr/bin/env node
// Placeholder until the CLI lands (issue #10): proves the toolchain and the Docker engine work by
// running the engine check test.
import { spawnSync } from 'node:child_process';

const result = spawnSync('pnpm', ['exec', 'vitest', 'run', 'tests/engine'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
