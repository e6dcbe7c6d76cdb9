import { fileURLToPath } from 'node:url';
import { OWNER_LABELS } from '@latentci/core';
import { ensureProbeImage } from '@latentci/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertReadmeShowsExample } from '../../../tests/support/readme-example.js';
import { acquireSwarmCluster, type SwarmCluster } from './test-cluster.js';
import { removeServicesOf } from './test-support.js';

const masterId = 'latentci-swarm-readme-example';
let cluster: SwarmCluster;

beforeAll(async () => {
  cluster = await acquireSwarmCluster();
  process.env.LATENTCI_SWARM_EXAMPLE_IMAGE = await ensureProbeImage({ docker: cluster.solo });
}, 180_000);

afterAll(async () => {
  delete process.env.LATENTCI_SWARM_EXAMPLE_IMAGE;
  if (cluster) {
    await removeServicesOf(cluster.solo, masterId);
    await cluster.release();
  }
}, 180_000);

describe('README example', () => {
  it('is shown verbatim in the README', () => {
    assertReadmeShowsExample(
      fileURLToPath(new URL('../README.md', import.meta.url)),
      fileURLToPath(new URL('./readme-example.ts', import.meta.url)),
    );
  });

  it('runs a worker service whose worker attaches, and leaves nothing behind after the build', async () => {
    const example = await import('./readme-example.js');
    expect(example.attached).toBe(true);
    const label = [`${OWNER_LABELS.master}=${masterId}`];
    expect(await cluster.solo.listServices({ filters: { label } })).toEqual([]);
    expect(await cluster.solo.listContainers({ all: true, filters: { label } })).toEqual([]);
  }, 180_000);
});
