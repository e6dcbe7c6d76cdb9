import { importBusyboxImage } from '@latentci/docker/testing';
import { type AttachServer, startAttachServer } from '@latentci/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../test-support/docker.js';
import { SIMULATOR_CONTAINER_LABEL, TASK_ID_CONTAINER_LABEL } from './docker-runtime.js';
import { type MarathonSimulator, startMarathonSimulator } from './marathon-simulator.js';

let image: string;
let master: AttachServer;
const simulators: MarathonSimulator[] = [];

beforeAll(async () => {
  image = await importBusyboxImage({ docker, tag: 'latentci-marathon-test-busybox:1' });
  master = await startAttachServer();
});
afterEach(async () => {
  const closing = simulators.splice(0);
  await Promise.all(closing.map((simulator) => simulator.close()));
  for (const simulator of closing) {
    const left = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${SIMULATOR_CONTAINER_LABEL}=${simulator.id}`] }),
    });
    expect(left).toEqual([]);
  }
});
afterAll(async () => {
  await master?.close();
});

async function simulator(): Promise<MarathonSimulator> {
  const started = await startMarathonSimulator({ runtime: 'docker', deploymentDuration: 20 });
  simulators.push(started);
  return started;
}

async function post(sim: MarathonSimulator, app: unknown): Promise<Response> {
  return fetch(`${sim.url}/v2/apps`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(app),
  });
}

// biome-ignore lint/suspicious/noExplicitAny: Marathon's JSON answers are inspected field by field.
type Json = any;

async function appOnceSettled(sim: MarathonSimulator, id: string, settled: (app: Json) => boolean): Promise<Json> {
  for (;;) {
    const { app } = (await fetch(`${sim.url}/v2/apps${id}`).then((response) => response.json())) as { app: Json };
    if (settled(app)) return app;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Marathon simulator: docker runtime', () => {
  it("runs the app as a real container with the app's image, env, labels and bridge network", async () => {
    const sim = await simulator();
    master.expectWorker('dock', 'pw-dock-1');
    const response = await post(sim, {
      id: '/buildbot-worker/buildbot-dock-87de7e',
      instances: 1,
      container: { type: 'DOCKER', docker: { image, network: 'BRIDGE' } },
      // The attach protocol's greeting, sent with busybox nc from the app's own environment.
      cmd: 'echo "LATENTCI-PROBE 1 $WORKERNAME $WORKERPASS" | nc $BUILDMASTER $BUILDMASTER_PORT; sleep 3600',
      env: {
        BUILDMASTER: master.host,
        BUILDMASTER_PORT: String(master.port),
        WORKERNAME: 'dock',
        WORKERPASS: 'pw-dock-1',
      },
      labels: { 'io.latentci.worker': 'dock' },
    });
    expect(response.status).toBe(201);
    const greeting = await master.waitForRecord('dock', { timeoutMs: 30_000 });
    expect(greeting).toMatchObject({ workerName: 'dock', passwordMatched: true });
    const app = await appOnceSettled(
      sim,
      '/buildbot-worker/buildbot-dock-87de7e',
      (candidate) => candidate.tasksRunning === 1,
    );
    const task = app.tasks[0];
    expect(task.state).toBe('TASK_RUNNING');
    expect(task.ipAddresses[0].ipAddress).toMatch(/^172\./);
    const [container] = await docker.listContainers({
      filters: JSON.stringify({ label: [`${TASK_ID_CONTAINER_LABEL}=${task.id}`] }),
    });
    expect(container?.Image).toBe(image);
    expect(container?.Labels).toMatchObject({ 'io.latentci.worker': 'dock', [SIMULATOR_CONTAINER_LABEL]: sim.id });
    expect(container?.HostConfig.NetworkMode).toBe('bridge');
    expect(container?.Names[0]).toMatch(new RegExp(`^/marathon-sim-${sim.id}-buildbot-worker_buildbot-dock-87de7e`));

    const deleted = await fetch(`${sim.url}/v2/apps/buildbot-worker/buildbot-dock-87de7e`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    for (;;) {
      const deployments = (await fetch(`${sim.url}/v2/deployments`).then((reply) => reply.json())) as unknown[];
      if (deployments.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(
      await docker.listContainers({
        all: true,
        filters: JSON.stringify({ label: [`${TASK_ID_CONTAINER_LABEL}=${task.id}`] }),
      }),
    ).toEqual([]);
  });

  it('reports a container that exits non-zero as TASK_FAILED in lastTaskFailure, with its last output', async () => {
    const sim = await simulator();
    await post(sim, {
      id: '/failing',
      container: { type: 'DOCKER', docker: { image } },
      cmd: 'echo worker broke >&2; exit 3',
      backoffSeconds: 600,
    });
    const app = await appOnceSettled(sim, '/failing', (candidate) => candidate.lastTaskFailure !== undefined);
    expect(app.lastTaskFailure).toMatchObject({
      state: 'TASK_FAILED',
      message: 'Container exited with status 3; last output:\nworker broke',
      appId: '/failing',
    });
    expect(app.tasks).toEqual([]);
  });

  it('fails the task at once when the image is not on the engine (nothing is pulled)', async () => {
    const sim = await simulator();
    await post(sim, {
      id: '/missing-image',
      container: { type: 'DOCKER', docker: { image: 'latentci-no-such-image:404' } },
    });
    const app = await appOnceSettled(sim, '/missing-image', (candidate) => candidate.lastTaskFailure !== undefined);
    expect(app.lastTaskFailure.message).toBe(
      "Failed to launch container: Failed to run 'docker pull latentci-no-such-image:404': image latentci-no-such-image:404 is not present on the Docker engine and the simulator does not pull images",
    );
  });
});
