import { CannotSubstantiateError, Interpolate, OWNER_LABELS, renderer } from '@latentci/core';
import { type AttachServer, startAttachServer } from '@latentci/test-kit';
import { describeConformance, PROBE_CRASH_MESSAGE } from '@latentci/test-kit/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwarmProviderSettings } from './settings.js';
import { createSwarmProvider } from './swarm-provider.js';
import { acquireSwarmCluster, MANAGER_HOST, nodeList, SWARM_HOST_ADDRESS, type SwarmCluster } from './test-cluster.js';
import {
  eventually,
  removeServicesOf,
  signal,
  startRequest,
  uniqueMasterId,
  uniqueWorkerName,
} from './test-support.js';

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
      cluster ??= await acquireSwarmCluster();
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

describe('placement and node drain on the two-node swarm', () => {
  const masterId = uniqueMasterId('two-node');
  let master: AttachServer | undefined;

  // Also when only these cases run (vitest -t): the conformance setup then did not start it.
  beforeAll(async () => {
    cluster ??= await acquireSwarmCluster();
  }, 180_000);

  afterAll(async () => {
    await master?.close();
    if (cluster) await removeServicesOf(cluster.manager, masterId);
  });

  async function workerNode() {
    const nodes = await ready().manager.listNodes();
    const node = nodes.find((each) => each.Spec?.Labels?.['latentci.node'] === 'worker');
    if (!node) throw new Error('the two-node swarm has no node labelled latentci.node=worker');
    return node as { ID: string; Version: { Index: number }; Spec: Record<string, unknown> };
  }

  async function setAvailability(availability: 'active' | 'drain') {
    const node = await workerNode();
    await ready()
      .manager.getNode(node.ID)
      .update({ version: node.Version.Index, ...node.Spec, Availability: availability });
  }

  it('a worker placed by constraint on the second node attaches to the master from there', async () => {
    master ??= await startAttachServer({ host: SWARM_HOST_ADDRESS });
    const provider = createSwarmProvider({
      dockerHost: MANAGER_HOST,
      image: ready().probeReference,
      constraints: ['node.labels.latentci.node==worker'],
    });
    const { request } = startRequest({ workerName: uniqueWorkerName('placed'), masterId, masterPort: master.port });
    master.expectWorker(request.workerName, request.password);
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      const attached = await master.waitForAttach(request.workerName, { timeoutMs: 90_000 });
      expect(attached.passwordMatched).toBe(true);
      // Masqueraded by the worker node's network namespace: the connection came from that node.
      expect(attached.remoteAddress).toBe('10.214.0.3');
      const [task] = await ready().manager.listTasks({ filters: { service: [instance.id] } });
      expect(task?.NodeID).toBe((await workerNode()).ID);
      expect(instance.image).toMatch(new RegExp(`^${ready().probeReference}@sha256:[0-9a-f]{64}$`));
    } finally {
      await provider.stopInstance({ request, instance }, { fast: false, signal: signal() });
    }
  });

  it('a worker on an overlay network (networks option) runs on the second node, attached to it, and attaches to the master', async () => {
    master ??= await startAttachServer({ host: SWARM_HOST_ADDRESS });
    const network = `latentci-overlay-${uniqueWorkerName('net')}`;
    const created = await ready().manager.createNetwork({
      Name: network,
      Driver: 'overlay',
      Labels: { [OWNER_LABELS.master]: masterId },
    });
    const provider = createSwarmProvider({
      dockerHost: MANAGER_HOST,
      image: ready().probeReference,
      constraints: ['node.labels.latentci.node==worker'],
      networks: [network],
    });
    const { request } = startRequest({ workerName: uniqueWorkerName('overlay'), masterId, masterPort: master.port });
    master.expectWorker(request.workerName, request.password);
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      await master.waitForAttach(request.workerName, { timeoutMs: 90_000 });
      const [task] = (await ready().manager.listTasks({ filters: { service: [instance.id] } })) as {
        NetworksAttachments?: { Network?: { ID?: string } }[];
      }[];
      expect(task?.NetworksAttachments?.map((attachment) => attachment.Network?.ID)).toContain(created.id);
    } finally {
      await provider.stopInstance({ request, instance }, { fast: false, signal: signal() });
      // The network is removable once the task's attachment is released.
      await eventually('the overlay network removed', () =>
        created.remove().then(
          () => true,
          () => undefined,
        ),
      );
    }
  });

  it('a node drained mid-run: the instance is reported unhealthy, and its stop leaves nothing on either node', async () => {
    master ??= await startAttachServer({ host: SWARM_HOST_ADDRESS });
    const provider = createSwarmProvider({
      dockerHost: MANAGER_HOST,
      image: ready().probeReference,
      constraints: ['node.labels.latentci.node==worker'],
    });
    const { request } = startRequest({ workerName: uniqueWorkerName('drained'), masterId, masterPort: master.port });
    master.expectWorker(request.workerName, request.password);
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      await master.waitForAttach(request.workerName, { timeoutMs: 90_000 });
      expect(await provider.checkInstance(instance, { signal: signal() })).toEqual({ healthy: true });
      await setAvailability('drain');
      const message = await eventually('an unhealthy verdict', async () => {
        const health = await provider.checkInstance(instance, { signal: signal() });
        return health.healthy ? undefined : health.message;
      });
      expect(message).toMatch(
        new RegExp(
          `^service ${request.instanceName}: task on node swarm-worker was shut down .*\\(node swarm-worker is drained\\)`,
        ),
      );
      await master.waitForDetach(request.workerName, { timeoutMs: 60_000 });
    } finally {
      await provider.stopInstance({ request, instance }, { fast: false, signal: signal() });
      await setAvailability('active');
    }
    const label = [`${OWNER_LABELS.worker}=${request.workerName}`];
    expect(await ready().manager.listServices({ filters: { label } })).toEqual([]);
    expect(await ready().manager.listContainers({ all: true, filters: { label } })).toEqual([]);
    // The stop waited until Swarm deleted the task; the worker node removes the (already stopped)
    // container right after, which no manager API shows: its own engine does.
    await eventually(
      'the drained task container removed from the worker node',
      async () =>
        (await ready().worker.listContainers({ all: true, filters: { label } })).length === 0 ? true : undefined,
      30_000,
    );
  });
});
