import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CannotSubstantiateError } from '@latentci/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerProvider } from './docker-provider.js';
import { ImageNotFoundError } from './errors.js';
import { familiarTag } from './image-reference.js';
import { createTarArchive } from './tar-archive.js';
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

const masterId = uniqueMasterId('images');
const suffix = masterId.slice(-8);
const builtTags: string[] = [];
let busyboxImage: string;
let contextDirectory: string;

withEngine(async () => {
  busyboxImage = await importBusyboxImage({ docker });
  contextDirectory = await mkdtemp(join(tmpdir(), 'latentci-docker-context-'));
});

afterAll(async () => {
  await cleanUpMaster(masterId);
  await removeImages(builtTags, masterId);
  if (contextDirectory) await rm(contextDirectory, { recursive: true, force: true });
});

async function expectNotFound(promise: Promise<unknown>): Promise<ImageNotFoundError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ImageNotFoundError);
  expect(error).toBeInstanceOf(CannotSubstantiateError);
  expect((error as ImageNotFoundError).retryable).toBe(false);
  return error as ImageNotFoundError;
}

describe('image lookup, build and pull on a real engine', () => {
  it('D27: builds a worker without image from its Dockerfile, reports build progress, and removes the built image at stop', async () => {
    const provider = createDockerProvider({
      dockerfile: `FROM ${busyboxImage}\nLABEL io.latentci.test=dockerfile\nCMD ["sleep", "300"]\n`,
    });
    const { request, events } = startRequest({ workerName: uniqueWorkerName('dockerfile'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      expect(instance.image).toMatch(/^buildbot-dockerfile-[0-9a-f]+-[0-9a-f]{6}-image:[0-9a-f]{12}$/);
      const inspected = await docker.getContainer(instance.id).inspect();
      expect(inspected.Config.Labels).toMatchObject({ 'io.latentci.test': 'dockerfile' });
      expect(inspected.Config.Cmd).toEqual(['sleep', '300']);
      const buildLines = events.progress.updates
        .filter((update) => update.phase === 'build')
        .map((update) => update.status);
      // Docker's classic builder says `Step 1/2 : FROM …`, Podman's (Buildah) `STEP 1/2: FROM …`.
      expect(buildLines.some((line) => /^Step 1\/\d+ ?: FROM latentci-docker-busybox:1$/i.test(line))).toBe(true);
      expect(buildLines.some((line) => /^Successfully tagged (localhost\/)?buildbot-dockerfile-/.test(line))).toBe(
        true,
      );
    } finally {
      await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
    }
    await expect(docker.getImage(instance.image).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('builds from a custom context tar (gzip) with buildargs and a multi-stage target', async () => {
    const dockerfile = [
      `FROM ${busyboxImage} AS base`,
      'ARG GREETING=unset',
      'LABEL io.latentci.greeting=$GREETING',
      'FROM base AS worker',
      'COPY stage.txt /stage.txt',
      'LABEL io.latentci.stage=worker',
      'FROM base AS other',
      'LABEL io.latentci.stage=other',
      '',
    ].join('\n');
    const contextPath = join(contextDirectory, 'context.tar.gz');
    await writeFile(
      contextPath,
      gzipSync(
        createTarArchive([
          { name: 'Dockerfile', content: dockerfile },
          { name: 'stage.txt', content: 'worker stage\n' },
        ]),
      ),
    );
    const image = `latentci-docker-context-${suffix}:1`;
    builtTags.push(image);
    const provider = createDockerProvider({
      image,
      dockerfile: contextPath,
      customContext: true,
      encoding: 'gzip',
      buildargs: { GREETING: 'hello-from-buildargs' },
      target: 'worker',
      command: ['sleep', '300'],
    });
    const { request } = startRequest({ workerName: uniqueWorkerName('context'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      expect(instance.image).toBe(image);
      const labels = (await docker.getContainer(instance.id).inspect()).Config.Labels;
      expect(labels).toMatchObject({ 'io.latentci.greeting': 'hello-from-buildargs', 'io.latentci.stage': 'worker' });
    } finally {
      await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
    }
    expect((await docker.getImage(image).inspect()).Config.Labels).toMatchObject({ 'io.latentci.stage': 'worker' });
  });

  it('D21/D22: finds an image by name without tag and by exact name:tag', async () => {
    for (const image of [busyboxImage.slice(0, busyboxImage.lastIndexOf(':')), busyboxImage]) {
      const provider = createDockerProvider({ image, command: ['sleep', '300'] });
      const { request } = startRequest({ workerName: uniqueWorkerName('lookup'), masterId });
      const instance = await provider.startInstance(request, { signal: signal() });
      expect(instance.image).toBe(image);
      // Podman reports the qualified name (docker.io/library/…): compare familiar names.
      expect(familiarTag((await docker.getContainer(instance.id).inspect()).Config.Image)).toBe(busyboxImage);
      await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
    }
  });

  it('runs an image given by id (a digest of its configuration)', async () => {
    const { Id } = await docker.getImage(busyboxImage).inspect();
    const provider = createDockerProvider({ image: Id, command: ['sleep', '300'] });
    const { request } = startRequest({ workerName: uniqueWorkerName('byid'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    expect((await docker.getContainer(instance.id).inspect()).Image).toBe(Id);
    await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
  });

  it('D23/D25: a missing image (or missing tag) without dockerfile or autopull cannot substantiate, naming the image', async () => {
    for (const image of [`${busyboxImage.split(':')[0]}:123`, `latentci-customworker-${suffix}`]) {
      const provider = createDockerProvider({ image });
      const { request } = startRequest({ workerName: uniqueWorkerName('missing'), masterId });
      const error = await expectNotFound(provider.startInstance(request, { signal: signal() }));
      expect(error.message).toContain(`Image "${image}" not found on docker host.`);
      expect(error.message).toMatch(/set autopull|give a dockerfile/);
      await provider.stopInstance({ request }, { fast: false, signal: signal() });
    }
  });

  it('D26: a Dockerfile that does not build cannot substantiate, with the build error', async () => {
    const image = `latentci-docker-broken-${suffix}:1`;
    const provider = createDockerProvider({ image, dockerfile: 'FROM 127.0.0.1:9/latentci-missing-base:1\n' });
    const { request, events } = startRequest({ workerName: uniqueWorkerName('broken'), masterId });
    const error = await expectNotFound(provider.startInstance(request, { signal: signal() }));
    expect(error.message).toContain(`Image "${image}" not found on docker host. building it failed:`);
    expect(error.message).toContain('127.0.0.1:9: connect: connection refused');
    expect(error.message).toContain('Fix the Dockerfile');
    expect(events.progress.updates.some((update) => update.status.startsWith('ERROR: '))).toBe(true);
  });

  it('autopull of an image that cannot be pulled here fails clearly and is not retried', async () => {
    const image = `127.0.0.1:9/latentci-unpullable-${suffix}:1`;
    const provider = createDockerProvider({ image, autopull: true });
    const { request, events } = startRequest({ workerName: uniqueWorkerName('pull'), masterId });
    const error = await expectNotFound(provider.startInstance(request, { signal: signal() }));
    expect(error.message).toContain(`Image "${image}" not found on docker host. pulling it failed:`);
    expect(error.message).toMatch(/registry/);
    expect(events.progress.updates.some((update) => update.phase === 'pull' && update.status.startsWith('ERROR'))).toBe(
      true,
    );
  });

  it('D29/D31: a present image is not pulled with autopull, nor with alwaysPull alone', async () => {
    for (const settings of [{ autopull: true }, { alwaysPull: true }]) {
      const provider = createDockerProvider({ image: busyboxImage, command: ['sleep', '300'], ...settings });
      const { request, events } = startRequest({ workerName: uniqueWorkerName('nopull'), masterId });
      const instance = await provider.startInstance(request, { signal: signal() });
      await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
      expect(events.progress.updates.filter((update) => update.phase === 'pull')).toEqual([]);
    }
  });

  it('D30: autopull with alwaysPull pulls a present image (and starts it when the pull fails but the image is there)', async () => {
    const provider = createDockerProvider({
      image: busyboxImage,
      command: ['sleep', '300'],
      autopull: true,
      alwaysPull: true,
    });
    const { request, events } = startRequest({ workerName: uniqueWorkerName('alwayspull'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
    expect(events.progress.updates.filter((update) => update.phase === 'pull').length).toBeGreaterThan(0);
  });
});
