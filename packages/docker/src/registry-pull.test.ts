import { createTarArchive } from '@latentci/provider-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerProvider } from './docker-provider.js';
import { withEngine } from './test-engine.js';
import {
  cleanUpMaster,
  docker,
  removeImages,
  signal,
  startRequest,
  uniqueMasterId,
  uniqueWorkerName,
} from './test-support.js';
import { importBusyboxImage } from './testing/busybox-image.js';
import { type LocalRegistry, startLocalRegistry } from './testing/local-registry.js';

const masterId = uniqueMasterId('registry');
const repository = `latentci/pulled-${masterId.slice(-8)}`;
let busyboxImage: string;
let registry: LocalRegistry;
let published: { tagged: string; digested: string; digest: string };

withEngine(async () => {
  busyboxImage = await importBusyboxImage({ docker });
  registry = await startLocalRegistry({ docker });
  // An image with a layer of its own, removed locally once published, so pulls really download.
  const source = `latentci-docker-registry-source-${masterId.slice(-8)}:1`;
  const context = createTarArchive([
    {
      name: 'Dockerfile',
      content: `FROM ${busyboxImage}\nRUN head -c 300000 /dev/urandom > /payload && echo ${masterId} > /marker\n`,
    },
  ]);
  const build = await docker.buildImage(context as unknown as NodeJS.ReadableStream, { t: source, rm: true });
  await new Promise((resolve, reject) =>
    docker.modem.followProgress(build, (error) => (error ? reject(error) : resolve(null))),
  );
  published = await registry.publish(source, repository, '1');
  await removeImages([source]);
});

afterAll(async () => {
  await cleanUpMaster(masterId);
  if (registry) await removeImages([`${registry.host}/${repository}:1`, `${registry.host}/${repository}`]);
  await registry?.close();
});

describe('pulling from a registry (a loopback registry serving an engine image)', () => {
  it('D28: autopull pulls a missing image, reporting layer progress, and starts it', async () => {
    const provider = createDockerProvider({ image: published.tagged, autopull: true, command: ['sleep', '300'] });
    const { request, events } = startRequest({ workerName: uniqueWorkerName('pulled'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      expect((await docker.getContainer(instance.id).inspect()).Config.Image).toBe(published.tagged);
      const pulls = events.progress.updates.filter((update) => update.phase === 'pull');
      expect(pulls.some((update) => update.id !== undefined && update.total !== undefined && update.total > 0)).toBe(
        true,
      );
      expect(pulls.some((update) => update.status.startsWith('Status: Downloaded newer image'))).toBe(true);
    } finally {
      await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
    }
  });

  it('finds and runs an image by digest reference (name@sha256:…), pulling it by digest', async () => {
    const provider = createDockerProvider({ image: published.digested, autopull: true, command: ['sleep', '300'] });
    const { request } = startRequest({ workerName: uniqueWorkerName('digest'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      const inspected = await docker.getContainer(instance.id).inspect();
      expect(inspected.Config.Image).toBe(published.digested);
      expect((await docker.getImage(inspected.Image).inspect()).RepoDigests).toContain(published.digested);
    } finally {
      await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
    }
    const before = registry.manifestRequests;
    const again = createDockerProvider({ image: published.digested, command: ['sleep', '300'] });
    const second = startRequest({ workerName: uniqueWorkerName('digest'), masterId });
    const present = await again.startInstance(second.request, { signal: signal() });
    await again.stopInstance({ request: second.request, instance: present }, { fast: true, signal: signal() });
    expect(registry.manifestRequests).toBe(before);
  });

  it('D30: alwaysPull pulls a present image again', async () => {
    const before = registry.manifestRequests;
    const provider = createDockerProvider({
      image: published.tagged,
      autopull: true,
      alwaysPull: true,
      command: ['sleep', '300'],
    });
    const { request } = startRequest({ workerName: uniqueWorkerName('always'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
    expect(registry.manifestRequests).toBeGreaterThan(before);
  });

  it('D29: autopull does not pull a present image', async () => {
    const before = registry.manifestRequests;
    const provider = createDockerProvider({ image: published.tagged, autopull: true, command: ['sleep', '300'] });
    const { request } = startRequest({ workerName: uniqueWorkerName('present'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
    expect(registry.manifestRequests).toBe(before);
  });
});
