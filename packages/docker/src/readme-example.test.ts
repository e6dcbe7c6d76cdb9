import { fileURLToPath } from 'node:url';
import { OWNER_LABELS } from '@latentci/core';
import { afterAll, describe, expect, it } from 'vitest';
import { assertReadmeShowsExample } from '../../../tests/support/readme-example.js';
import { withEngine } from './test-engine.js';
import { cleanUpMaster, docker } from './test-support.js';

const masterId = 'latentci-docker-readme-example';

withEngine();

afterAll(async () => {
  await cleanUpMaster(masterId);
});

describe('README example', () => {
  it('is shown verbatim in the README', () => {
    assertReadmeShowsExample(
      fileURLToPath(new URL('../README.md', import.meta.url)),
      fileURLToPath(new URL('./readme-example.ts', import.meta.url)),
    );
  });

  it('starts a container whose worker attaches, and leaves nothing behind after the build', async () => {
    const example = await import('./readme-example.js');
    expect(example.attached).toBe(true);
    expect(
      await docker.listContainers({ all: true, filters: { label: [`${OWNER_LABELS.master}=${masterId}`] } }),
    ).toEqual([]);
  });
});
