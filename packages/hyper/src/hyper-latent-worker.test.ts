import { randomBytes } from 'node:crypto';
import { CannotSubstantiateError, Interpolate, Properties, Property } from '@latentci/core';
import { type AttachServer, attachLatentWorker, ensureProbeImage, startAttachServer } from '@latentci/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageNotFoundError } from './errors.js';
import { hyperLatentWorker } from './hyper-latent-worker.js';
import { type HyperSimulator, startHyperSimulator } from './simulator/start-hyper-simulator.js';

const ACCESS_KEY = 'WORKERTESTACCESSKEY';
const SECRET_KEY = 'worker-test-secret-key-0123456789';
const unique = randomBytes(3).toString('hex');

let probeImage: string;
let attach: AttachServer;
let simulator: HyperSimulator;

beforeAll(async () => {
  probeImage = await ensureProbeImage();
  attach = await startAttachServer();
  simulator = await startHyperSimulator({ credentials: { [ACCESS_KEY]: SECRET_KEY }, strict: true });
});

afterAll(async () => {
  await attach?.close();
  await simulator?.close();
});

function worker(name: string, image = probeImage) {
  return hyperLatentWorker({
    name,
    masterId: `hyper-worker-tests-${unique}`,
    masterFQDN: attach.masterFQDN,
    hyperHost: simulator.url,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    image,
    missingTimeout: 120,
  });
}

describe('hyperLatentWorker', () => {
  it('defaults buildWaitTimeout to 0, like Buildbot, and sends nothing before a build needs it (H1)', () => {
    const before = simulator.requests.length;
    const created = worker(`hyper-defaults-${unique}`);
    expect(created.timings.buildWaitTimeout).toBe(0);
    expect(simulator.requests.length).toBe(before);
  });

  it('substantiates: the Hyper container runs a worker that attaches; shutdown removes the container (H5)', async () => {
    const latent = worker(`hyper-attach-${unique}`);
    const unwire = attachLatentWorker(attach, latent);
    try {
      await latent.substantiate(new Properties());
      expect(latent.substantiated).toBe(true);
      expect(await simulator.containers()).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: expect.stringMatching(`^buildbot-hyper-attach-${unique}-`) }),
        ]),
      );
      // H9: any build is compatible with plain settings.
      await expect(latent.isCompatibleWithBuild(new Properties())).resolves.toBe(true);
    } finally {
      await latent.shutdown();
      unwire();
    }
    expect((await simulator.containers()).some((c) => c.name.startsWith(`buildbot-hyper-attach-${unique}-`))).toBe(
      false,
    );
  });

  it('renders image and size per build: the running instance refuses builds that render differently (H9, H10)', async () => {
    const name = `hyper-render-${unique}`;
    const latent = hyperLatentWorker({
      name,
      masterId: `hyper-worker-tests-${unique}`,
      masterFQDN: attach.masterFQDN,
      hyperHost: simulator.url,
      accessKey: ACCESS_KEY,
      secretKey: SECRET_KEY,
      image: new Interpolate('%(prop:image)s'),
      size: new Property('size', 's2'),
      missingTimeout: 120,
    });
    const unwire = attachLatentWorker(attach, latent);
    const build = (image: string, size?: string) => {
      const properties = new Properties();
      properties.setProperty('image', image, 'test');
      if (size !== undefined) properties.setProperty('size', size, 'test');
      return properties;
    };
    try {
      await expect(latent.isCompatibleWithBuild(build('anything:1', 'l3'))).resolves.toBe(true);
      await latent.substantiate(build(probeImage));
      const [container] = (await simulator.containers()).filter((c) => c.name.startsWith(`buildbot-${name}-`));
      expect(container).toMatchObject({ image: probeImage, labels: { sh_hyper_instancetype: 's2' } });
      await expect(latent.isCompatibleWithBuild(build(probeImage))).resolves.toBe(true);
      await expect(latent.isCompatibleWithBuild(build(probeImage, 'm1'))).resolves.toBe(false);
      await expect(latent.isCompatibleWithBuild(build('other:1'))).resolves.toBe(false);
    } finally {
      await latent.shutdown();
      unwire();
    }
    await expect(latent.isCompatibleWithBuild(build('other:1', 'm1'))).resolves.toBe(true);
  });

  it('a size that renders outside s1…l3 fails the start with CannotSubstantiateError', async () => {
    const latent = hyperLatentWorker({
      name: `hyper-badsize-${unique}`,
      masterId: `hyper-worker-tests-${unique}`,
      masterFQDN: attach.masterFQDN,
      hyperHost: simulator.url,
      accessKey: ACCESS_KEY,
      secretKey: SECRET_KEY,
      image: probeImage,
      size: new Property('size'),
    });
    const properties = new Properties();
    properties.setProperty('size', 'big', 'test');
    try {
      const error = await latent.substantiate(properties).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CannotSubstantiateError);
      expect((error as Error).message).toContain("Size is not valid 'big' vs ['s1'");
    } finally {
      await latent.shutdown();
    }
  });

  it('a start that fails on the image ends with ImageNotFoundError and leaves no container (H7)', async () => {
    const latent = worker(`hyper-buggy-${unique}`, 'latentci-hyper-buggy-image:1');
    try {
      const error = await latent.substantiate(new Properties()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ImageNotFoundError);
      expect(error).toBeInstanceOf(CannotSubstantiateError);
      expect(latent.substantiated).toBe(false);
    } finally {
      await latent.shutdown();
    }
    expect((await simulator.containers()).some((c) => c.name.startsWith(`buildbot-hyper-buggy-${unique}-`))).toBe(
      false,
    );
  });

  it('a shutdown while the worker has not connected yet cancels the start and removes the container (H6)', async () => {
    const latent = worker(`hyper-noconnect-${unique}`);
    const substantiation = latent.substantiate(new Properties()).catch((caught: unknown) => caught);
    while (!(await simulator.containers()).some((c) => c.name.startsWith(`buildbot-hyper-noconnect-${unique}-`))) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await latent.shutdown();
    expect(await substantiation).toBeInstanceOf(Error);
    expect((await simulator.containers()).some((c) => c.name.startsWith(`buildbot-hyper-noconnect-${unique}-`))).toBe(
      false,
    );
  });
});
