import { CannotSubstantiateError, Interpolate, OWNER_LABELS } from '@latentci/core';
import { ensureProbeImage, PROBE_IMAGE } from '@latentci/test-kit';
import { describeConformance, PROBE_CRASH_MESSAGE } from '@latentci/test-kit/vitest';
import { createDockerProvider } from './docker-provider.js';
import type { DockerProviderSettings } from './settings.js';
import { docker } from './test-support.js';
import { BUSYBOX_IMAGE, importBusyboxImage } from './testing/busybox-image.js';
import { assertDockerAvailable } from './testing/docker-available.js';

describeConformance<DockerProviderSettings>({
  createProvider: (settings, context) => createDockerProvider({ ...settings, logger: context.logger }),
  backend: {
    name: 'a real Docker engine',
    async setup() {
      await assertDockerAvailable(docker);
      await ensureProbeImage({ docker });
      await importBusyboxImage({ docker });
    },
    // followStartupLogs: the startupLogs capability reports output only when it is on.
    workerSettings(kind) {
      if (kind === 'crashing') {
        return {
          image: BUSYBOX_IMAGE,
          command: ['sh', '-c', `echo "${PROBE_CRASH_MESSAGE}" >&2; exit 1`],
          followStartupLogs: true,
        };
      }
      if (kind === 'per-build') {
        return {
          image: new Interpolate('%(prop:probe_image)s'),
          hostname: new Interpolate('%(prop:host)s'),
          followStartupLogs: true,
        };
      }
      return { image: PROBE_IMAGE, followStartupLogs: true };
    },
    startFailure: {
      settings: { image: 'latentci-conformance-missing-image:1' },
      error: CannotSubstantiateError,
      because: 'the image does not exist on the engine',
    },
    perBuild: {
      properties: { probe_image: PROBE_IMAGE, host: 'per-build-host' },
      otherProperties: { probe_image: PROBE_IMAGE, host: 'other-build-host' },
      renderedValue: 'per-build-host',
    },
    async listInstances(owner, { signal }) {
      const labels = [
        `${OWNER_LABELS.master}=${owner.masterId}`,
        ...(owner.workerName === undefined ? [] : [`${OWNER_LABELS.worker}=${owner.workerName}`]),
      ];
      const containers = await docker.listContainers({ all: true, filters: { label: labels }, abortSignal: signal });
      return Promise.all(
        containers.map(async (container) => {
          const inspected = await docker
            .getContainer(container.Id)
            .inspect()
            .catch(() => undefined);
          const environment = Object.fromEntries(
            (inspected?.Config.Env ?? []).map((entry) => [
              entry.slice(0, entry.indexOf('=')),
              entry.slice(entry.indexOf('=') + 1),
            ]),
          );
          return {
            id: container.Id,
            name: (container.Names[0] ?? '').replace(/^\//, ''),
            state: container.State,
            environment,
          };
        }),
      );
    },
  },
});
