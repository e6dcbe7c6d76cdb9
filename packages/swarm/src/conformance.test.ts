import { CannotSubstantiateError, Interpolate, OWNER_LABELS, renderer } from '@latentci/core';
import { describeConformance, PROBE_CRASH_MESSAGE } from '@latentci/test-kit/vitest';
import { afterAll } from 'vitest';
import type { SwarmProviderSettings } from './settings.js';
import { createSwarmProvider } from './swarm-provider.js';
import { acquireSwarmCluster, MANAGER_HOST, nodeList, SWARM_HOST_ADDRESS, type SwarmCluster } from './test-cluster.js';

// The conformance suite on the two-node swarm of scripts/swarm-cluster.sh: tasks land on either
// node, pull the probe image from the registry on the host, and attach to the master there.
let cluster: SwarmCluster | undefined;
const ready = () => {
  if (!cluster) throw new Error('the swarm cluster is not up (see the setup error above)');
  return cluster;
};

afterAll(async () => {
  if (process.env.LATENTCI_SWARM_REPORT) console.log(`docker node ls (two-node swarm):\n${await nodeList()}`);
  await cluster?.release();
});

describeConformance<SwarmProviderSettings>({
  createProvider: (settings, context) => createSwarmProvider({ ...settings, logger: context.logger }),
  attachTimeout: 90,
  cleanupTimeout: 60,
  backend: {
    name: 'a two-node Docker Swarm',
    masterHost: SWARM_HOST_ADDRESS,
    async setup() {
      cluster = await acquireSwarmCluster();
    },
    workerSettings(kind) {
      if (kind === 'crashing') {
        return {
          dockerHost: MANAGER_HOST,
          image: renderer(() => ready().busyboxReference),
          command: ['sh', '-c', `echo "${PROBE_CRASH_MESSAGE}" >&2; exit 1`],
          followStartupLogs: true,
        };
      }
      if (kind === 'per-build') {
        return {
          dockerHost: MANAGER_HOST,
          image: new Interpolate('%(prop:probe_image)s'),
          hostname: new Interpolate('%(prop:host)s'),
          followStartupLogs: true,
        };
      }
      return { dockerHost: MANAGER_HOST, image: renderer(() => ready().probeReference), followStartupLogs: true };
    },
    get startFailure() {
      return {
        settings: {
          dockerHost: MANAGER_HOST,
          image: renderer(() => `${ready().registry.host}/latentci-conformance-missing-image:1`),
        },
        error: CannotSubstantiateError,
        because: 'the image is not in the registry',
      };
    },
    get perBuild() {
      return {
        properties: { probe_image: ready().probeReference, host: 'per-build-host' },
        otherProperties: { probe_image: ready().probeReference, host: 'other-build-host' },
        renderedValue: 'per-build-host',
      };
    },
    async listInstances(owner, { signal }) {
      const labels = [
        `${OWNER_LABELS.master}=${owner.masterId}`,
        ...(owner.workerName === undefined ? [] : [`${OWNER_LABELS.worker}=${owner.workerName}`]),
      ];
      const { manager, worker } = ready();
      const services = (await manager.listServices({ filters: { label: labels }, abortSignal: signal } as {})) as {
        ID: string;
        Spec?: { Name?: string; TaskTemplate?: { ContainerSpec?: { Env?: string[] } } };
      }[];
      // Containers on both nodes too: a removed service whose container lingers is a leak.
      const containers = (
        await Promise.all(
          [manager, worker].map((engine) => engine.listContainers({ all: true, filters: { label: labels } })),
        )
      ).flat();
      return [
        ...services.map((service) => ({
          id: service.ID,
          name: service.Spec?.Name,
          state: 'service',
          environment: Object.fromEntries(
            (service.Spec?.TaskTemplate?.ContainerSpec?.Env ?? []).map((entry) => [
              entry.slice(0, entry.indexOf('=')),
              entry.slice(entry.indexOf('=') + 1),
            ]),
          ),
        })),
        ...containers.map((container) => ({
          id: container.Id,
          name: (container.Names[0] ?? '').replace(/^\//, ''),
          state: container.State,
        })),
      ];
    },
  },
});
