import { fileURLToPath } from 'node:url';
import { CannotSubstantiateError } from '@latentci/core';
import Docker from 'dockerode';
import { expect, it } from 'vitest';
import { assertReadmeShowsExample } from '../../../../tests/support/readme-example.js';
import { PROBE_CRASH_MESSAGE } from '../conformance/options.js';
import { ensureProbeImage, PROBE_IMAGE, probeImageTag } from '../probe/probe-image.js';
import { describeConformance } from '../vitest.js';
import { createMinimalDockerProvider, type MinimalDockerSettings } from './minimal-docker-provider.js';

// The guide's provider, proven on the real Docker engine with the probe image. This file is also
// the "Run the suite from vitest" section of the README, nearly verbatim.
const docker = new Docker();
const crashing = { PROBE_EXIT_BEFORE_ATTACH: PROBE_CRASH_MESSAGE };

describeConformance<MinimalDockerSettings>({
  createProvider: (settings) => createMinimalDockerProvider({ ...settings, docker }),
  backend: {
    name: 'docker',
    // masterHost defaults to 172.17.0.1, where containers on the default bridge reach the host.
    async setup() {
      await Promise.all([ensureProbeImage({ docker }), ensureProbeImage({ docker, environment: crashing })]);
    },
    workerSettings: (kind) => ({ image: kind === 'crashing' ? probeImageTag(crashing) : PROBE_IMAGE }),
    startFailure: {
      settings: { image: 'latentci-no-such-image:1' },
      error: CannotSubstantiateError,
      because: 'the image does not exist',
    },
    async listInstances(owner) {
      const label = [`io.latentci.master=${owner.masterId}`];
      if (owner.workerName) label.push(`io.latentci.worker=${owner.workerName}`);
      const containers = await docker.listContainers({ all: true, filters: { label } });
      return Promise.all(
        containers.map(async (container) => {
          const info = await docker.getContainer(container.Id).inspect();
          const environment = Object.fromEntries(
            (info.Config.Env ?? []).map((entry) => [
              entry.slice(0, entry.indexOf('=')),
              entry.slice(entry.indexOf('=') + 1),
            ]),
          );
          return { id: container.Id, name: container.Names[0], state: container.State, environment };
        }),
      );
    },
  },
  attachTimeout: 30,
});

it('the README shows the guide provider verbatim', () => {
  expect(() =>
    assertReadmeShowsExample(
      fileURLToPath(new URL('../../README.md', import.meta.url)),
      fileURLToPath(new URL('./minimal-docker-provider.ts', import.meta.url)),
      'A complete provider',
    ),
  ).not.toThrow();
});
