import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AttachServer, startAttachServer } from '../attach/attach-server.js';
import { TEST_KIT_VERSION } from '../version.js';
import { BusyboxNotFoundError, ensureProbeImage, isStaticElf, PROBE_IMAGE } from './probe-image.js';

const PASSWORD = 'probe-image-password';

describe('isStaticElf', () => {
  it('tells the static busybox from a dynamically linked binary', () => {
    expect(isStaticElf(readFileSync('/bin/busybox'))).toBe(true);
    expect(isStaticElf(readFileSync(process.execPath))).toBe(false);
    expect(isStaticElf(Buffer.from('#!/bin/sh\n'))).toBe(false);
  });
});

describe('ensureProbeImage', () => {
  const docker = new Docker();
  let server: AttachServer;
  const containers: Docker.Container[] = [];

  beforeAll(async () => {
    server = await startAttachServer();
  });
  afterAll(async () => {
    await Promise.all(containers.map((c) => c.remove({ force: true }).catch(() => {})));
    await server.close();
  });

  async function run(image: string, name: string, extra: string[] = [], init = false): Promise<Docker.Container> {
    const container = await docker.createContainer({
      Image: image,
      Env: [
        `BUILDMASTER=${server.host}`,
        `BUILDMASTER_PORT=${server.port}`,
        'BUILDMASTER_PROTOCOL=pb',
        `WORKERNAME=${name}`,
        `WORKERPASS=${PASSWORD}`,
        ...extra,
      ],
      HostConfig: { Init: init },
    });
    containers.push(container);
    await container.start();
    return container;
  }

  it('builds latentci-probe:<version> once, also when called concurrently', async () => {
    const tags = await Promise.all([ensureProbeImage({ docker }), ensureProbeImage({ docker }), ensureProbeImage()]);
    expect(tags).toEqual([PROBE_IMAGE, PROBE_IMAGE, PROBE_IMAGE]);
    expect(PROBE_IMAGE).toBe(`latentci-probe:${TEST_KIT_VERSION}`);
    const first = await docker.getImage(PROBE_IMAGE).inspect();
    await ensureProbeImage({ docker });
    expect((await docker.getImage(PROBE_IMAGE).inspect()).Id).toBe(first.Id);
  });

  it('runs a worker that attaches with the environment contract and stops at once without an init', async () => {
    server.expectWorker('image-worker', PASSWORD);
    const container = await run(await ensureProbeImage({ docker }), 'image-worker');
    const record = await server.waitForAttach('image-worker', { timeoutMs: 20_000 });
    expect(record.environment).toMatchObject({ WORKERNAME: 'image-worker', BUILDMASTER: server.host });
    expect(record.environmentPasswordMatched).toBe(true);
    await container.stop({ t: 10 });
    // Had the probe ignored SIGTERM, the engine would have killed it after 10 s (exit code 137).
    expect((await container.inspect()).State.ExitCode).not.toBe(137);
    await server.waitForDetach('image-worker', { timeoutMs: 5000 });
  });

  it('stops at once with an init too', async () => {
    server.expectWorker('init-worker', PASSWORD);
    const container = await run(await ensureProbeImage({ docker }), 'init-worker', [], true);
    await server.waitForAttach('init-worker', { timeoutMs: 20_000 });
    await container.stop({ t: 10 });
    expect((await container.inspect()).State.ExitCode).not.toBe(137);
  });

  it('bakes knobs into a variant image: a worker that crashes before attaching', async () => {
    const message = 'probe crashed on purpose: "quotes" $HOME \\ backslash';
    const tag = await ensureProbeImage({ docker, environment: { PROBE_EXIT_BEFORE_ATTACH: message } });
    expect(tag).toMatch(new RegExp(`^latentci-probe:${TEST_KIT_VERSION.replace(/\./g, '\\.')}-[0-9a-f]{12}$`));
    const container = await run(tag, 'crasher');
    const result = await container.wait();
    expect(result.StatusCode).toBe(1);
    const logs = (await container.logs({ stdout: true, stderr: true })).toString();
    expect(logs).toContain(message);
    expect(server.records.some((r) => r.workerName === 'crasher')).toBe(false);
  });

  it('refuses a bad knob name and a multi-line value', async () => {
    await expect(ensureProbeImage({ docker, environment: { 'BAD-NAME': 'x' } })).rejects.toThrow(
      /not a valid variable/,
    );
    await expect(ensureProbeImage({ docker, environment: { GOOD: 'a\nb' } })).rejects.toThrow(/single-line/);
  });

  it('throws BusyboxNotFoundError naming busybox-static when the binary is missing or dynamic', async () => {
    const missing = ensureProbeImage({ docker, busyboxPath: '/nonexistent/busybox' });
    await expect(missing).rejects.toBeInstanceOf(BusyboxNotFoundError);
    await expect(missing).rejects.toThrow(/apt-get install busybox-static/);
    await expect(ensureProbeImage({ docker, busyboxPath: process.execPath })).rejects.toThrow(
      /not a statically linked/,
    );
  });
});
