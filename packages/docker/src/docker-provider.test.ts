import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OWNER_LABELS, Properties, Property } from '@latentci/core';
import { type AttachServer, ensureProbeImage, startAttachServer } from '@latentci/test-kit';
import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerProvider } from './docker-provider.js';
import {
  ContainerNameConflictError,
  InvalidVolumeError,
  UnknownHostConfigKeyError,
  WrongImagePlatformError,
} from './errors.js';
import { withEngine } from './test-engine.js';
import {
  cleanUpMaster,
  docker,
  engineIsPodman,
  signal,
  startRequest,
  TEST_DOCKER_HOST,
  uniqueMasterId,
  uniqueWorkerName,
} from './test-support.js';
import { importBusyboxImage } from './testing/busybox-image.js';

const ENVIRONMENT_KEYS = ['BUILDMASTER', 'BUILDMASTER_PORT', 'BUILDMASTER_PROTOCOL', 'WORKERNAME', 'WORKERPASS'];

const masterId = uniqueMasterId('provider');
let probeImage: string;
let busyboxImage: string;
let server: AttachServer;
let hostDirectory: string;

withEngine(async () => {
  probeImage = await ensureProbeImage({ docker });
  busyboxImage = await importBusyboxImage({ docker });
  server = await startAttachServer();
  hostDirectory = await mkdtemp(join(tmpdir(), 'latentci-docker-volume-'));
  await writeFile(join(hostDirectory, 'marker'), 'from the host\n');
});

afterAll(async () => {
  await cleanUpMaster(masterId);
  await server?.close();
  if (hostDirectory) await rm(hostDirectory, { recursive: true, force: true });
});

describe('Docker provider on a real engine', () => {
  it('starts a container with exactly the environment contract; the worker connects back with its name and password; stop removes it', async () => {
    const provider = createDockerProvider({ image: probeImage, dockerHost: TEST_DOCKER_HOST });
    const workerName = uniqueWorkerName('contract');
    const { request } = startRequest({ workerName, masterId, masterHost: server.host, masterPort: server.port });
    server.expectWorker(workerName, request.password);

    const instance = await provider.startInstance(request, { signal: signal() });
    const inspected = await docker.getContainer(instance.id).inspect();
    const contract = Object.fromEntries(
      inspected.Config.Env.map((entry) => [
        entry.slice(0, entry.indexOf('=')),
        entry.slice(entry.indexOf('=') + 1),
      ]).filter(([key]) => ENVIRONMENT_KEYS.includes(key as string) || /^(BUILDMASTER|WORKER)/.test(key as string)),
    );
    expect(contract).toEqual(request.environment);
    expect(inspected.Name).toBe(`/${request.instanceName}`);
    expect(inspected.Config.Labels).toMatchObject(request.labels);
    expect(inspected.HostConfig.Init).toBe(true);

    const record = await server.waitForAttach(workerName, { timeoutMs: 30_000 });
    expect(record).toMatchObject({ workerName, passwordMatched: true, accepted: true });
    expect(record.environment).toMatchObject({ ...request.environment, WORKERPASS: '<redacted>' });
    expect(record.environmentPasswordMatched).toBe(true);
    expect(await provider.checkInstance(instance, { signal: signal() })).toEqual({ healthy: true });

    await provider.stopInstance({ request, instance }, { fast: false, signal: signal() });
    await expect(docker.getContainer(instance.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('applies volumes, hostconfig, hostname, command, init and labels to the container', async () => {
    const provider = createDockerProvider({
      image: busyboxImage,
      command: ['sleep', '300'],
      volumes: [`${hostDirectory}:/data:ro`, `${hostDirectory}:/again:ro,z`, `${hostDirectory}:/consistent:cached`],
      hostname: 'latentci-options',
      hostconfig: {
        network_mode: 'none',
        dns: ['1.1.1.1', '1.2.3.4'],
        privileged: false,
        shm_size: '64m',
        init: false,
        mem_limit: '256m',
        cpu_shares: 512,
        cap_add: ['NET_ADMIN'],
        extra_hosts: { 'master.example': '172.17.0.1' },
        pids_limit: 64,
        read_only: true,
      },
    });
    const workerName = uniqueWorkerName('options');
    const { request } = startRequest({ workerName, masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      const inspected = await docker.getContainer(instance.id).inspect();
      expect(inspected.Name).toBe(`/${request.instanceName}`);
      expect(inspected.Config.Cmd).toEqual(['sleep', '300']);
      expect(inspected.Config.Hostname).toBe('latentci-options');
      expect(inspected.Mounts.map((mount) => mount.Destination).sort()).toEqual(['/again', '/consistent', '/data']);
      expect(inspected.Config.Labels).toMatchObject({
        [OWNER_LABELS.managed]: 'true',
        [OWNER_LABELS.master]: masterId,
        [OWNER_LABELS.worker]: workerName,
      });
      if (!(await engineIsPodman())) {
        // Docker echoes the binds and `Init: false` as given; Podman normalises binds
        // (`…:ro,rprivate,rbind`) and omits a false Init. The mounts below are checked on both.
        expect(inspected.HostConfig).toMatchObject({
          Binds: [`${hostDirectory}:/data:ro`, `${hostDirectory}:/again:ro,z`, `${hostDirectory}:/consistent:cached`],
          Init: false,
        });
      }
      expect(inspected.HostConfig).toMatchObject({
        NetworkMode: 'none',
        Dns: ['1.1.1.1', '1.2.3.4'],
        Privileged: false,
        ShmSize: 64 * 1024 * 1024,
        Memory: 256 * 1024 * 1024,
        CpuShares: 512,
        CapAdd: ['NET_ADMIN'],
        ExtraHosts: ['master.example:172.17.0.1'],
        PidsLimit: 64,
        ReadonlyRootfs: true,
      });
      expect(inspected.Mounts.map((mount) => [mount.Destination, mount.RW]).sort()).toEqual([
        ['/again', false],
        ['/consistent', true],
        ['/data', false],
      ]);
      expect(inspected.State.Running).toBe(true);
    } finally {
      await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
    }
    await expect(docker.getContainer(instance.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('D34: removes a previous container with exactly the same name, and not one whose name only starts with it', async () => {
    const provider = createDockerProvider({ image: busyboxImage, command: 'sleep 300' });
    const workerName = uniqueWorkerName('existing');
    const { request } = startRequest({ workerName, masterId });
    const labels = { [OWNER_LABELS.master]: masterId };
    const same = await docker.createContainer({
      name: request.instanceName,
      Image: busyboxImage,
      Cmd: ['true'],
      Labels: labels,
    });
    const longer = await docker.createContainer({
      name: `${request.instanceName}f`,
      Image: busyboxImage,
      Cmd: ['true'],
      Labels: labels,
    });
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      await expect(same.inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect((await longer.inspect()).Name).toBe(`/${request.instanceName}f`);
      expect(instance.id).not.toBe(same.id);
    } finally {
      await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
      await longer.remove({ force: true });
    }
  });

  it('after a failed start (no instance), stop removes the container by its exact name', async () => {
    const provider = createDockerProvider({ image: busyboxImage, command: ['sleep', '300'] });
    const workerName = uniqueWorkerName('failed');
    const { request } = startRequest({ workerName, masterId });
    const leftover = await docker.createContainer({
      name: request.instanceName,
      Image: busyboxImage,
      Cmd: ['sleep', '300'],
      Labels: request.labels,
    });
    await leftover.start();
    await provider.stopInstance({ request }, { fast: false, signal: signal() });
    await expect(leftover.inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('D39/D40: stopping a container that is already gone succeeds', async () => {
    const provider = createDockerProvider({ image: busyboxImage, command: ['sleep', '300'] });
    const { request } = startRequest({ workerName: uniqueWorkerName('gone'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    await docker.getContainer(instance.id).remove({ force: true });
    await expect(
      provider.stopInstance({ request, instance }, { fast: false, signal: signal() }),
    ).resolves.toBeUndefined();
  });

  it('D20: a renderable volume that renders without a colon fails the start with a retryable configuration error', async () => {
    const provider = createDockerProvider({ image: busyboxImage, volumes: [new Property('volume')] });
    const properties = new Properties();
    properties.update({ volume: 'abcd=efgh' }, 'Build');
    const { request } = startRequest({ workerName: uniqueWorkerName('badvolume'), masterId, properties });
    const error = await provider.startInstance(request, { signal: signal() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidVolumeError);
    expect(error).toMatchObject({ retryable: true, code: 'CONFIGURATION_ERROR' });
    await provider.stopInstance({ request }, { fast: false, signal: signal() });
  });

  it('a renderable hostconfig with an unknown key fails the start naming the key', async () => {
    const provider = createDockerProvider({ image: busyboxImage, hostconfig: new Property('hostconfig') });
    const properties = new Properties();
    properties.update({ hostconfig: { network_mode: 'none', shmSize: 1 } }, 'Build');
    const { request } = startRequest({ workerName: uniqueWorkerName('badkey'), masterId, properties });
    const error = await provider.startInstance(request, { signal: signal() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownHostConfigKeyError);
    expect((error as UnknownHostConfigKeyError).keys).toEqual(['shmSize']);
    expect((error as Error).message).toContain('"shmSize" (did you mean "shm_size"?)');
    await provider.stopInstance({ request }, { fast: false, signal: signal() });
  });

  it('a container that takes the name between the cleanup and the create is a retryable name conflict', async () => {
    const workerName = uniqueWorkerName('conflict');
    const { request } = startRequest({ workerName, masterId });
    // Another master (same name hash) creates the container right before ours: the engine answers 409.
    class RacingDocker extends Dockerode {
      override async createContainer(options: Dockerode.ContainerCreateOptions): Promise<Dockerode.Container> {
        await docker.createContainer({
          name: request.instanceName,
          Image: busyboxImage,
          Cmd: ['true'],
          Labels: request.labels,
        });
        return super.createContainer(options);
      }
    }
    const provider = createDockerProvider({
      image: busyboxImage,
      docker: new RacingDocker(), // the engine of DOCKER_HOST, like `docker`
    });
    const error = await provider.startInstance(request, { signal: signal() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ContainerNameConflictError);
    expect(error).toMatchObject({ retryable: true, containerName: request.instanceName });
    expect((error as Error).message).toMatch(/give the masters distinct masterId values/);
    await provider.stopInstance({ request }, { fast: false, signal: signal() });
    expect(await docker.listContainers({ all: true, filters: { name: [request.instanceName] } })).toEqual([]);
  });

  it('an aborted start leaves no container behind, whenever the abort comes', async () => {
    const provider = createDockerProvider({ image: busyboxImage, command: ['sleep', '300'] });
    for (const delay of [0, 10, 30, 60, 120, 250]) {
      const { request } = startRequest({ workerName: uniqueWorkerName('abort'), masterId });
      const controller = new AbortController();
      const reason = new Error('aborted by the test');
      const start = provider.startInstance(request, { signal: controller.signal });
      setTimeout(() => controller.abort(reason), delay);
      const outcome = await start.then(
        (instance) => ({ instance }),
        (error: unknown) => ({ error }),
      );
      if ('error' in outcome) expect(outcome.error).toBe(reason);
      const instance = 'instance' in outcome ? outcome.instance : undefined;
      await provider.stopInstance(instance ? { request, instance } : { request }, { fast: true, signal: signal() });
      expect(await docker.listContainers({ all: true, filters: { name: [request.instanceName] } })).toEqual([]);
    }
  });

  it('D35: an engine refusing the image for its operating system cannot substantiate (a Windows-engine fault, injected)', async () => {
    const workerName = uniqueWorkerName('wrongos');
    const { request } = startRequest({ workerName, masterId });
    // A Linux engine cannot produce this Windows error: the real container is created, its start fails as a Windows engine would.
    class WindowsEngine extends Dockerode {
      override async createContainer(options: Dockerode.ContainerCreateOptions): Promise<Dockerode.Container> {
        const container = await super.createContainer(options);
        container.start = (async () => {
          throw Object.assign(new Error('(HTTP code 500) server error'), {
            statusCode: 500,
            json: { message: 'The container operating system does not match the host operating system.' },
          });
        }) as unknown as Dockerode.Container['start'];
        return container;
      }
    }
    const provider = createDockerProvider({ image: busyboxImage, docker: new WindowsEngine() });
    const error = await provider.startInstance(request, { signal: signal() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WrongImagePlatformError);
    expect(error).toMatchObject({ retryable: false, code: 'CANNOT_SUBSTANTIATE' });
    expect((error as Error).message).toMatch(
      /^Image used for build is wrong: The container operating system does not match/,
    );
    await provider.stopInstance({ request }, { fast: false, signal: signal() });
    expect(await docker.listContainers({ all: true, filters: { name: [request.instanceName] } })).toEqual([]);
  });
});
