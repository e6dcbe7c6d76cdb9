import { createServer, type Server, type Socket } from 'node:net';
import {
  CannotSubstantiateError,
  ConfigurationError,
  Interpolate,
  LatentWorker,
  LatentWorkerState,
  SubstantiationCancelledError,
  SubstantiationTimeoutError,
  WorkerCrashedError,
} from '@latentci/core';
import { createDockerProvider } from '@latentci/docker';
import { type AttachServer, attachLatentWorker, ensureProbeImage, startAttachServer } from '@latentci/test-kit';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { recordFaultCase } from '../support/fault-report.js';

// Faults a real Docker engine and a real worker produce, each checked for its typed outcome and
// for nothing left behind. (The engine being killed is in docker-engine-crash.test.ts, on a
// private engine.)
const docker = new Docker();
const masterId = `latentci-faults-docker-${process.pid}`;
let image: string;
let server: AttachServer;
const workers: LatentWorker[] = [];
const crashingImage = `latentci-fault-crashing:${process.pid}`;

beforeAll(async () => {
  image = await ensureProbeImage();
  server = await startAttachServer();
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.shutdown()));
});

afterAll(async () => {
  await server?.close();
  await docker
    .getImage(crashingImage)
    .remove({ force: true })
    .catch(() => {});
  const left = await docker.listContainers({ all: true, filters: { label: [`io.latentci.master=${masterId}`] } });
  await Promise.all(left.map((container) => docker.getContainer(container.Id).remove({ force: true })));
});

async function leftBehind(): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`io.latentci.master=${masterId}`] } });
  return containers.length;
}

function worker(name: string): LatentWorker {
  const created = new LatentWorker({
    name,
    provider: createDockerProvider({ image }),
    masterId,
    masterFQDN: `${server.host}:${server.port}`,
    buildWaitTimeout: 0,
    missingTimeout: 60,
    checkInstanceInterval: 0.5,
  });
  workers.push(created);
  attachLatentWorker(server, created);
  return created;
}

function untilState(target: LatentWorker, state: LatentWorkerState): Promise<void> {
  return new Promise((resolve) => {
    if (target.state === state) return resolve();
    const off = target.on('state', ({ to }) => {
      if (to === state) {
        off();
        resolve();
      }
    });
  });
}

describe('Docker faults', () => {
  it('an image that does not exist: CannotSubstantiateError naming it, quarantined, nothing left', async () => {
    const target = new LatentWorker({
      name: 'fault-missing-image',
      provider: createDockerProvider({ image: 'latentci-no-such-image:404' }),
      masterId,
      masterFQDN: `${server.host}:${server.port}`,
      buildWaitTimeout: 0,
    });
    workers.push(target);
    const started = performance.now();
    const error = await target.substantiate().catch((caught: unknown) => caught);
    const decisionMs = performance.now() - started;
    expect(error).toBeInstanceOf(CannotSubstantiateError);
    expect((error as CannotSubstantiateError).retryable).toBe(false);
    expect((error as Error).message).toContain('latentci-no-such-image:404');
    expect(target.isQuarantined).toBe(true);
    await target.whenIdle();
    const leaks = await leftBehind();
    expect(leaks).toBe(0);
    recordFaultCase({ backend: 'docker', fault: 'image does not exist', faultsInjected: 1, leaks, decisionMs });
  });

  it('an engine that stops answering: missingTimeout decides, the abort is honoured, the stop is bounded', async () => {
    // A "registry" that accepts connections and never answers: the engine cannot produce a hang,
    // so a TCP endpoint posing as the engine does (the only fake in this suite).
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const target = new LatentWorker({
        name: 'fault-hanging-engine',
        provider: createDockerProvider({ image, dockerHost: `tcp://127.0.0.1:${port}`, autopull: true }),
        masterId,
        masterFQDN: `${server.host}:${server.port}`,
        buildWaitTimeout: 0,
        missingTimeout: 1,
        // The stop meets the same silent engine: it is abandoned after stopTimeout.
        stopTimeout: 2,
      });
      workers.push(target);
      const started = performance.now();
      const error = await target.substantiate().catch((caught: unknown) => caught);
      const decisionMs = performance.now() - started;
      expect(error).toBeInstanceOf(SubstantiationTimeoutError);
      expect((error as SubstantiationTimeoutError).retryable).toBe(true);
      expect(target.isQuarantined).toBe(true);

      const aborting = new LatentWorker({
        name: 'fault-hanging-engine-abort',
        provider: createDockerProvider({ image, dockerHost: `tcp://127.0.0.1:${port}` }),
        masterId,
        masterFQDN: `${server.host}:${server.port}`,
        buildWaitTimeout: 0,
        missingTimeout: 0,
        stopTimeout: 2,
      });
      workers.push(aborting);
      const controller = new AbortController();
      const waiting = aborting
        .substantiate(undefined, { signal: controller.signal })
        .catch((caught: unknown) => caught);
      setTimeout(() => controller.abort(new Error('the build was stopped')), 200);
      const aborted = await waiting;
      expect((aborted as Error).message).toBe('the build was stopped');
      await aborting.whenIdle();
      expect(aborting.state).toBe(LatentWorkerState.NOT_SUBSTANTIATED);
      const leaks = await leftBehind();
      expect(leaks).toBe(0);
      recordFaultCase({ backend: 'docker', fault: 'engine call hangs', faultsInjected: 2, leaks, decisionMs });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('settings the engine or Docker refuses (issue #23 defect 4): non-retryable at once, nothing left', async () => {
    const cases = [
      // The engine answers 400 for the value.
      {
        name: 'fault-engine-400',
        provider: createDockerProvider({ image, hostconfig: { cpuset_cpus: new Interpolate('abc') } }),
      },
      // Docker's container name rule, checked before any request.
      { name: 'fault bad name', provider: createDockerProvider({ image }) },
    ];
    let slowest = 0;
    for (const { name, provider } of cases) {
      const target = new LatentWorker({
        name,
        provider,
        masterId,
        masterFQDN: `${server.host}:${server.port}`,
        buildWaitTimeout: 0,
        missingTimeout: 60,
      });
      workers.push(target);
      const started = performance.now();
      const error = await target.substantiate().catch((caught: unknown) => caught);
      slowest = Math.max(slowest, performance.now() - started);
      expect(error).toBeInstanceOf(CannotSubstantiateError);
      expect((error as CannotSubstantiateError).retryable).toBe(false);
      expect((error as Error & { cause?: unknown }).cause).toBeInstanceOf(ConfigurationError);
      await target.whenIdle();
    }
    const leaks = await leftBehind();
    expect(leaks).toBe(0);
    recordFaultCase({ backend: 'docker', fault: 'settings refused', faultsInjected: 2, leaks, decisionMs: slowest });
  });

  it('a pull that hangs (a registry that never answers): missingTimeout decides, nothing left', async () => {
    // The real engine pulls from a loopback "registry" that accepts connections and stays silent.
    const sockets = new Set<Socket>();
    const registry: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    const port = (registry.address() as { port: number }).port;
    try {
      const target = new LatentWorker({
        name: 'fault-hanging-pull',
        provider: createDockerProvider({ image: `127.0.0.1:${port}/latentci/never:1`, autopull: true }),
        masterId,
        masterFQDN: `${server.host}:${server.port}`,
        buildWaitTimeout: 0,
        missingTimeout: 2,
      });
      workers.push(target);
      const started = performance.now();
      const error = await target.substantiate().catch((caught: unknown) => caught);
      const decisionMs = performance.now() - started;
      expect(error).toBeInstanceOf(SubstantiationTimeoutError);
      expect(target.isQuarantined).toBe(true);
      await target.whenIdle();
      expect(target.state).toBe(LatentWorkerState.NOT_SUBSTANTIATED);
      const leaks = await leftBehind();
      expect(leaks).toBe(0);
      recordFaultCase({ backend: 'docker', fault: 'pull hangs', faultsInjected: 1, leaks, decisionMs });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => registry.close(resolve));
    }
  });

  it('a container that exits before attaching: WorkerCrashedError with its output within one interval', async () => {
    // A worker image that dies before connecting: the probe's knob, baked in by the provider's own
    // `dockerfile` build (the provider passes only the contract's five variables).
    const crashing = new LatentWorker({
      name: 'fault-crash-before-attach',
      provider: createDockerProvider({
        image: crashingImage,
        dockerfile: `FROM ${image}\nENV PROBE_EXIT_BEFORE_ATTACH="worker cannot start: disk full"\n`,
      }),
      masterId,
      masterFQDN: `${server.host}:${server.port}`,
      buildWaitTimeout: 0,
      missingTimeout: 120,
      checkInstanceInterval: 0.5,
    });
    workers.push(crashing);
    const started = performance.now();
    const error = await crashing.substantiate().catch((caught: unknown) => caught);
    const decisionMs = performance.now() - started;
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as Error).message).toContain('latent worker crashed before connecting');
    expect((error as Error).message).toContain('worker cannot start: disk full');
    expect(crashing.isQuarantined).toBe(true);
    await crashing.whenIdle();
    const leaks = await leftBehind();
    expect(leaks).toBe(0);
    recordFaultCase({
      backend: 'docker',
      fault: 'container exits before attaching',
      faultsInjected: 1,
      leaks,
      decisionMs,
    });
  });

  it('a worker that never connects: SubstantiationTimeoutError after missingTimeout, instance stopped', async () => {
    const target = new LatentWorker({
      name: 'fault-never-connects',
      provider: createDockerProvider({ image }),
      masterId,
      // Nobody listens there: the probe keeps retrying, as a worker with a wrong masterFQDN does.
      masterFQDN: `${server.host}:1`,
      buildWaitTimeout: 0,
      missingTimeout: 3,
      checkInstanceInterval: 0.5,
    });
    workers.push(target);
    const error = await target.substantiate().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SubstantiationTimeoutError);
    expect(target.isQuarantined).toBe(true);
    await target.whenIdle();
    const leaks = await leftBehind();
    expect(leaks).toBe(0);
    recordFaultCase({ backend: 'docker', fault: 'worker never connects', faultsInjected: 1, leaks });
  });

  it('stop during start cancels the start; start during stop is queued; shutdown during both drains', async () => {
    // Stop during start.
    const first = worker('fault-stop-during-start');
    const starting = first.substantiate().catch((caught: unknown) => caught);
    await untilState(first, LatentWorkerState.SUBSTANTIATING_STARTING);
    await first.insubstantiate();
    expect(await starting).toBeInstanceOf(SubstantiationCancelledError);
    expect(first.state).toBe(LatentWorkerState.NOT_SUBSTANTIATED);

    // Start during stop: the new substantiation waits for the stop, then starts and attaches.
    const second = worker('fault-start-during-stop');
    await second.substantiate();
    const stopping = second.insubstantiate();
    expect(second.state).toBe(LatentWorkerState.INSUBSTANTIATING);
    await second.substantiate();
    await stopping;
    expect(second.state).toBe(LatentWorkerState.SUBSTANTIATED);

    // Shutdown during a start and during a stop.
    const third = worker('fault-shutdown-during-start');
    const thirdStarting = third.substantiate().catch((caught: unknown) => caught);
    await untilState(third, LatentWorkerState.SUBSTANTIATING_STARTING);
    const fourth = worker('fault-shutdown-during-stop');
    await fourth.substantiate();
    const fourthStopping = fourth.insubstantiate();
    await Promise.all([third.shutdown(), fourth.shutdown(), second.shutdown()]);
    await fourthStopping;
    // Buildbot's stopService lets a start in progress finish, then stops it: the waiter either saw
    // the worker attach or the cancellation; either way it settled and nothing is left running.
    const thirdOutcome = await thirdStarting;
    if (thirdOutcome !== undefined) expect(thirdOutcome).toBeInstanceOf(SubstantiationCancelledError);
    for (const each of [second, third, fourth]) expect(each.state).toBe(LatentWorkerState.SHUT_DOWN);
    const leaks = await leftBehind();
    expect(leaks).toBe(0);
    recordFaultCase({ backend: 'docker', fault: 'stop/start/shutdown races', faultsInjected: 4, leaks });
  });
});
