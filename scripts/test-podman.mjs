#!/usr/bin/env node
// `pnpm test:podman`: the docker provider's tests and its conformance suite on a Podman engine,
// through Podman's Docker-compatible API (`@latentci/docker` unchanged, `DOCKER_HOST` pointing at
// the Podman socket). Start the engine first: `bash scripts/podman-engine.sh start` (or set
// LATENTCI_PODMAN_HOST to another Podman API address). Ends with the plain line `N passed, N failed`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureSupportedNode } from './supported-node.mjs';
import { vitestTotals } from './vitest-totals.mjs';

ensureSupportedNode(fileURLToPath(import.meta.url));

const root = fileURLToPath(new URL('..', import.meta.url));
const podmanHost =
  process.env.LATENTCI_PODMAN_HOST ??
  `unix://${execFileSync('bash', [`${root}scripts/podman-engine.sh`, 'socket'], { encoding: 'utf8' }).trim()}`;

/**
 * What cannot run on Podman, and why (the docker README's "Podman" section says the same):
 * - registry-pull: Podman refuses a plain-HTTP registry unless registries.conf lists it as insecure
 *   (Docker trusts 127.0.0.0/8 by default), and the test registry listens on a port chosen at run time.
 * - docker-connection: its TLS cases talk to dockerd's own TLS listener, which Podman does not have.
 * - conformance-real-worker: the conformance suite with the real buildbot-worker image takes 5.6 min
 *   on Podman here (the vfs storage driver copies the 300 MB image for every container: 19 cases,
 *   each a few containers), a third of the CI budget, for no provider path the probe conformance
 *   suite (run here) does not cover; the real-worker mode runs on Docker in `pnpm test`.
 */
const DOCKER_ONLY = [
  'packages/docker/src/registry-pull.test.ts',
  'packages/docker/src/docker-connection.test.ts',
  'packages/docker/src/conformance-real-worker.test.ts',
];

const resultsFile = `${root}.test-results/vitest-podman.json`;
mkdirSync(`${root}.test-results`, { recursive: true });
rmSync(resultsFile, { force: true });
console.log(`▶ Podman at ${podmanHost}: vitest run packages/docker (docker-only files: ${DOCKER_ONLY.join(', ')})`);
const run = spawnSync(
  'pnpm',
  [
    'exec',
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${resultsFile}`,
    ...DOCKER_ONLY.flatMap((file) => ['--exclude', file]),
    'packages/docker/src',
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, DOCKER_HOST: podmanHost } },
);
const { passed, failed } = vitestTotals(resultsFile, run.status === 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
