import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CannotSubstantiateError, ConfigurationError, OWNER_LABELS } from '@latentci/core';
import { importBusyboxImage } from '@latentci/docker/testing';
import { type AttachServer, PROBE_IMAGE, startAttachServer } from '@latentci/test-kit';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServiceImage } from './image-resolution.js';
import { createSwarmProvider } from './swarm-provider.js';
import { acquireSwarmCluster, MANAGER_HOST, SOLO_HOST, SWARM_HOST_ADDRESS, type SwarmCluster } from './test-cluster.js';
import {
  eventually,
  removeServicesOf,
  signal,
  startRequest,
  uniqueMasterId,
  uniqueWorkerName,
} from './test-support.js';

// Single-node swarm cases (the "solo" swarm of scripts/swarm-cluster.sh): local images, and every
// health verdict the provider gives from a service's tasks.
const masterId = uniqueMasterId('single-node');
let cluster: SwarmCluster;
let master: AttachServer;
let localBusybox: string;

beforeAll(async () => {
  cluster = await acquireSwarmCluster();
  master = await startAttachServer({ host: SWARM_HOST_ADDRESS });
  // Built on the solo node's engine only: no registry has it.
  await importBusyboxImage({ docker: cluster.solo, tag: 'latentci-swarm-local-busybox:1' });
  localBusybox = 'latentci-swarm-local-busybox:1';
}, 180_000);

afterAll(async () => {
  await master?.close();
  if (cluster) {
    await removeServicesOf(cluster.solo, masterId);
    await removeServicesOf(cluster.manager, masterId);
    await cluster.release();
  }
}, 180_000);

const solo = (settings: Omit<Parameters<typeof createSwarmProvider>[0], 'dockerHost'>) =>
  createSwarmProvider({ dockerHost: SOLO_HOST, ...settings });

describe('images on a single-node swarm', () => {
  it('a local image runs by its id (Swarm would ask a registry for the tag) and its worker attaches', async () => {
    const { ensureProbeImage } = await import('@latentci/test-kit');
    await ensureProbeImage({ docker: cluster.solo });
    const provider = solo({ image: PROBE_IMAGE });
    const { request } = startRequest({ workerName: uniqueWorkerName('local'), masterId, masterPort: master.port });
    master.expectWorker(request.workerName, request.password);
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      const localId = (await cluster.solo.getImage(PROBE_IMAGE).inspect()).Id;
      expect(instance.image).toBe(localId);
      const spec = (await cluster.solo.getService(instance.id).inspect()) as {
        Spec: { TaskTemplate: { ContainerSpec: { Image: string } } };
      };
      expect(spec.Spec.TaskTemplate.ContainerSpec.Image).toBe(localId);
      const attached = await master.waitForAttach(request.workerName, { timeoutMs: 60_000 });
      expect(attached.passwordMatched).toBe(true);
    } finally {
      await provider.stopInstance({ request, instance }, { fast: false, signal: signal() });
    }
  });

  it('a registry image is pinned to its digest at start', async () => {
    const resolved = await resolveServiceImage(cluster.solo, cluster.probeReference, 1, signal());
    expect(resolved.how).toBe('registry-digest');
    expect(resolved.reference).toMatch(new RegExp(`^${cluster.probeReference}@sha256:[0-9a-f]{64}$`));
  });

  it('on the two-node swarm, an image only the manager has is refused with what to do', async () => {
    await importBusyboxImage({ docker: cluster.manager, tag: 'latentci-swarm-manager-only:1' });
    const provider = createSwarmProvider({ dockerHost: MANAGER_HOST, image: 'latentci-swarm-manager-only:1' });
    const { request } = startRequest({ workerName: uniqueWorkerName('manager-only'), masterId });
    const failure = provider.startInstance(request, { signal: signal() });
    await expect(failure).rejects.toBeInstanceOf(CannotSubstantiateError);
    await expect(failure).rejects.toThrow(
      /is only on the manager's engine, and this swarm has 2 nodes: .*Push it to a registry every node can reach/,
    );
    await provider.stopInstance({ request }, { fast: false, signal: signal() });
  });
});

describe('health from the service tasks', () => {
  async function started(settings: Parameters<typeof solo>[0], prefix: string) {
    const provider = solo(settings);
    const { request, events } = startRequest({ workerName: uniqueWorkerName(prefix), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    const stop = () => provider.stopInstance({ request, instance }, { fast: false, signal: signal() });
    const unhealthy = () =>
      eventually('an unhealthy verdict', async () => {
        const health = await provider.checkInstance(instance, { signal: signal() });
        return health.healthy ? undefined : health.message;
      });
    return { provider, request, events, instance, stop, unhealthy };
  }

  it('a running task is healthy', async () => {
    const worker = await started({ image: localBusybox, command: ['sleep', '300'] }, 'running');
    try {
      await eventually('a running task', async () => {
        const tasks = await cluster.solo.listTasks({ filters: { service: [worker.instance.id] } });
        return tasks.some((task) => task.Status?.State === 'running') ? true : undefined;
      });
      expect(await worker.provider.checkInstance(worker.instance, { signal: signal() })).toEqual({ healthy: true });
    } finally {
      await worker.stop();
    }
  });

  it('a task that exited with an error is unhealthy with its exit code and its last 100 log lines, password redacted', async () => {
    const worker = await started(
      {
        image: localBusybox,
        command: [
          'sh',
          '-c',
          'i=0; while [ $i -lt 120 ]; do i=$((i+1)); echo "line $i"; done; echo "pass=$WORKERPASS"; exit 3',
        ],
      },
      'failed',
    );
    try {
      const message = await worker.unhealthy();
      expect(message).toMatch(
        new RegExp(
          `^service ${worker.request.instanceName}: task failed on node swarm-solo: .*\\(exit code 3\\); logs: \\n`,
        ),
      );
      const logs = message.slice(message.indexOf('logs: \n') + 'logs: \n'.length).split('\n');
      expect(logs.filter((line) => line.length > 0)).toHaveLength(100);
      expect(logs[0]).toBe('line 22');
      expect(message).not.toContain(worker.request.password);
      expect(message).toContain('pass=');
    } finally {
      await worker.stop();
    }
  });

  it('a task that exited 0 before the worker stayed is unhealthy too', async () => {
    const worker = await started({ image: localBusybox, command: ['sh', '-c', 'echo bye'] }, 'complete');
    try {
      expect(await worker.unhealthy()).toMatch(/task exited with code 0 on node swarm-solo .*; logs: \nbye\n$/);
    } finally {
      await worker.stop();
    }
  });

  it('a task rejected because its node cannot get the image is unhealthy with the task error', async () => {
    // A digest reference is used as given; nothing serves it, so the node's pull fails.
    const missing = `${cluster.registry.host}/latentci-swarm-missing@sha256:${'0'.repeat(64)}`;
    const worker = await started({ image: missing }, 'rejected');
    try {
      expect(await worker.unhealthy()).toMatch(
        new RegExp(`^service ${worker.request.instanceName}: task rejected on node swarm-solo: .*No such image`),
      );
    } finally {
      await worker.stop();
    }
  });

  it('a task no node fits (constraints) is reported at once, not left pending silently', async () => {
    const worker = await started(
      { image: localBusybox, command: ['sleep', '300'], constraints: ['node.labels.latentci.pool==nowhere'] },
      'unplaceable',
    );
    try {
      expect(await worker.unhealthy()).toMatch(
        /cannot be placed: no suitable node \(scheduling constraints not satisfied on 1 node\)\. No node fits its constraints and resources/,
      );
    } finally {
      await worker.stop();
    }
  });

  it('a task no node has the resources for is reported at once', async () => {
    const worker = await started(
      { image: localBusybox, command: ['sleep', '300'], resources: { reservations: { memory: '4096g' } } },
      'too-big',
    );
    try {
      expect(await worker.unhealthy()).toMatch(
        /cannot be placed: no suitable node \(insufficient resources on 1 node\)/,
      );
    } finally {
      await worker.stop();
    }
  });

  it('a service removed behind the provider is unhealthy, saying it no longer exists', async () => {
    const worker = await started({ image: localBusybox, command: ['sleep', '300'] }, 'vanished');
    await cluster.solo.getService(worker.instance.id).remove();
    expect(await worker.provider.checkInstance(worker.instance, { signal: signal() })).toEqual({
      healthy: false,
      message: `service ${worker.request.instanceName} no longer exists: something removed it`,
    });
    await worker.stop();
  });

  it('startup logs come from the service log stream, which the stop closes', async () => {
    const worker = await started(
      {
        image: localBusybox,
        followStartupLogs: true,
        command: ['sh', '-c', 'echo "hello from $WORKERNAME"; echo "to stderr" >&2; exec sleep 300'],
      },
      'logs',
    );
    await worker.events.waitForLog(/^hello from /, { timeoutMs: 60_000 });
    await worker.events.waitForLog(/^to stderr$/, { timeoutMs: 60_000 });
    expect(worker.events.logs).toContainEqual({ line: 'to stderr', stream: 'stderr' });
    await worker.stop();
    // The stop resolved, so the follow was closed; no service remains.
    expect(await cluster.solo.listServices({ filters: { name: [worker.request.instanceName] } })).toEqual([]);
  });
});

describe('stop, names and the manager API', () => {
  it('stop waits until the service and its container are gone', async () => {
    const provider = solo({ image: localBusybox, command: ['sleep', '300'] });
    const { request } = startRequest({ workerName: uniqueWorkerName('gone'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    await eventually('a container', async () => {
      const containers = await cluster.solo.listContainers({
        filters: { label: [`${OWNER_LABELS.worker}=${request.workerName}`] },
      });
      return containers.length > 0 ? true : undefined;
    });
    await provider.stopInstance({ request, instance }, { fast: false, signal: signal() });
    expect(
      await cluster.solo.listContainers({
        all: true,
        filters: { label: [`${OWNER_LABELS.worker}=${request.workerName}`] },
      }),
    ).toEqual([]);
  });

  it('stop without an instance removes the service of exactly that name and owner, nothing that merely contains the name', async () => {
    const provider = solo({ image: localBusybox, command: ['sleep', '300'] });
    const { request } = startRequest({ workerName: uniqueWorkerName('exact'), masterId });
    const { request: longer } = startRequest({ workerName: `${request.workerName}-x`, masterId });
    const other = await provider.startInstance(longer, { signal: signal() });
    const mine = await provider.startInstance(request, { signal: signal() });
    try {
      // The name filter of Swarm matches substrings: `buildbot-exact-…` is a prefix of the other.
      expect(longer.instanceName.startsWith(request.instanceName.slice(0, -7))).toBe(true);
      await provider.stopInstance({ request }, { fast: false, signal: signal() });
      const left = await cluster.solo.listServices({ filters: { label: [`${OWNER_LABELS.master}=${masterId}`] } });
      expect(left.map((service) => service.ID)).toContain(other.id);
      expect(left.map((service) => service.ID)).not.toContain(mine.id);
    } finally {
      await provider.stopInstance({ request: longer, instance: other }, { fast: false, signal: signal() });
    }
  });

  it('a spec the manager refuses (a network that does not exist) is a ConfigurationError naming the problem', async () => {
    const provider = solo({ image: localBusybox, networks: ['latentci-no-such-network'] });
    const { request } = startRequest({ workerName: uniqueWorkerName('no-network'), masterId });
    const failure = provider.startInstance(request, { signal: signal() });
    await expect(failure).rejects.toBeInstanceOf(ConfigurationError);
    await expect(failure).rejects.toThrow(
      /refused the service spec of .*latentci-no-such-network.*Check constraints, networks/,
    );
    await provider.stopInstance({ request }, { fast: false, signal: signal() });
  });

  it('an instance name Swarm refuses is a ConfigurationError before anything is created', async () => {
    const provider = solo({ image: localBusybox });
    const { request } = startRequest({ workerName: `w.${'x'.repeat(60)}`, masterId });
    await expect(provider.startInstance(request, { signal: signal() })).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('no request to the manager carries the worker password in a header (createService sends no X-Registry-Auth)', async () => {
    const headers: IncomingHttpHeaders[] = [];
    const proxy = createServer((incoming, outgoing) => {
      headers.push(incoming.headers);
      const upstream = httpRequest(
        {
          socketPath: '/run/latentci-swarm/solo/docker.sock',
          path: incoming.url,
          method: incoming.method,
          headers: incoming.headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          outgoing.flushHeaders();
          answer.pipe(outgoing);
        },
      );
      incoming.pipe(upstream);
    });
    proxy.listen({ host: '127.0.0.1', port: 0 });
    await once(proxy, 'listening');
    const provider = createSwarmProvider({
      docker: new Docker({ host: '127.0.0.1', port: (proxy.address() as AddressInfo).port, protocol: 'http' }),
      image: localBusybox,
      command: ['sleep', '300'],
      followStartupLogs: true,
    });
    const { request } = startRequest({ workerName: uniqueWorkerName('headers'), masterId });
    try {
      const instance = await provider.startInstance(request, { signal: signal() });
      await provider.checkInstance(instance, { signal: signal() });
      await provider.stopInstance({ request, instance }, { fast: false, signal: signal() });
      expect(headers.length).toBeGreaterThan(3);
      for (const each of headers) {
        expect(each['x-registry-auth']).toBeUndefined();
        for (const value of Object.values(each).flat()) {
          const text = String(value);
          expect(text).not.toContain(request.password);
          expect(Buffer.from(text, 'base64url').toString('utf8')).not.toContain(request.password);
        }
      }
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });
});
