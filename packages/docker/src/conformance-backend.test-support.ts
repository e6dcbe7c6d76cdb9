import { CannotSubstantiateError, Interpolate, OWNER_LABELS } from '@latentci/core';
import { type ConformanceBackend, ensureProbeImage, PROBE_CRASH_MESSAGE, PROBE_IMAGE } from '@latentci/test-kit';
import type { DockerProviderSettings } from './settings.js';
import { docker } from './test-support.js';
import { BUSYBOX_IMAGE, importBusyboxImage } from './testing/busybox-image.js';
import { assertDockerAvailable } from './testing/docker-available.js';

/**
 * The conformance suite's view of the test engine. `worker` says which image attaches: the probe
 * (`PROBE_IMAGE`, the default) or a real buildbot-worker image (the suite's `realWorker` mode).
 */
export function dockerConformanceBackend(
  worker: { readonly name: string; readonly image: string } = {
    name: 'a real Docker engine',
    image: PROBE_IMAGE,
  },
): ConformanceBackend<DockerProviderSettings> {
  return {
    name: worker.name,
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
      return { image: worker.image, followStartupLogs: true };
    },
    startFailure: {
      settings: { image: 'latentci-conformance-missing-image:1' },
      error: CannotSubstantiateError,
      because: 'the image does not exist on the engine',
    },
    perBuild: {
      properties: { probe_image: worker.image, host: 'per-build-host' },
      otherProperties: { probe_image: worker.image, host: 'other-build-host' },
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
  };
}
