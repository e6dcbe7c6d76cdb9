import { afterAll, describe, expect, it } from 'vitest';
import { createDockerProvider } from './docker-provider.js';
import { withEngine } from './test-engine.js';
import { cleanUpMaster, docker, signal, startRequest, uniqueMasterId, uniqueWorkerName } from './test-support.js';
import { importBusyboxImage } from './testing/busybox-image.js';

const masterId = uniqueMasterId('health');
let busyboxImage: string;

withEngine(async () => {
  busyboxImage = await importBusyboxImage({ docker });
});

afterAll(async () => {
  await cleanUpMaster(masterId);
});

describe('checkInstance and startup logs', () => {
  it('D38: a container that exited is unhealthy with its exit code and its last 100 log lines', async () => {
    const provider = createDockerProvider({
      image: busyboxImage,
      command: ['sh', '-c', 'i=0; while [ $i -lt 120 ]; do i=$((i+1)); echo "line $i"; done; echo "boom"; exit 3'],
    });
    const { request } = startRequest({ workerName: uniqueWorkerName('exited'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      await docker.getContainer(instance.id).wait();
      const health = await provider.checkInstance(instance, { signal: signal() });
      expect(health.healthy).toBe(false);
      const message = health.healthy ? '' : health.message;
      expect(message).toMatch(new RegExp(`^container ${request.instanceName} exited with code 3; logs: \\n`));
      const logs = message.slice(message.indexOf('logs: \n') + 'logs: \n'.length).split('\n');
      expect(logs.filter((line) => line.length > 0)).toHaveLength(100);
      expect(logs[0]).toBe('line 22');
      expect(logs.slice(-2)).toEqual(['boom', '']);
    } finally {
      await provider.stopInstance({ request, instance }, { fast: false, signal: signal() });
    }
  });

  it('a container removed behind the provider is unhealthy, saying it no longer exists', async () => {
    const provider = createDockerProvider({ image: busyboxImage, command: ['sleep', '300'] });
    const { request } = startRequest({ workerName: uniqueWorkerName('vanished'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    await docker.getContainer(instance.id).remove({ force: true });
    expect(await provider.checkInstance(instance, { signal: signal() })).toEqual({
      healthy: false,
      message: expect.stringMatching(
        new RegExp(`^container ${request.instanceName} \\([0-9a-f]{12}\\) no longer exists`),
      ),
    });
    await provider.stopInstance({ request, instance }, { fast: false, signal: signal() });
  });

  it('followStartupLogs streams stdout and stderr lines to the log events without holding up the start', async () => {
    const provider = createDockerProvider({
      image: busyboxImage,
      followStartupLogs: true,
      command: ['sh', '-c', 'echo "hello from $WORKERNAME"; echo "to stderr" >&2; sleep 2; echo later; exec sleep 300'],
    });
    const { request, events } = startRequest({ workerName: uniqueWorkerName('follow'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      expect((await docker.getContainer(instance.id).inspect()).State.Running).toBe(true);
      // stdout and stderr are separate pipes: no engine promises their relative order (Podman
      // delivers the stderr line of this command after `later`), so wait for both.
      await events.waitForLog(/^later$/);
      await events.waitForLog(/^to stderr$/);
      expect(events.logs).toEqual(
        expect.arrayContaining([
          { line: `hello from ${request.workerName}`, stream: 'stdout' },
          { line: 'to stderr', stream: 'stderr' },
          { line: 'later', stream: 'stdout' },
        ]),
      );
    } finally {
      await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
    }
    await expect(docker.getContainer(instance.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('never lets the worker password into the followed log lines', async () => {
    const provider = createDockerProvider({
      image: busyboxImage,
      followStartupLogs: true,
      command: ['sh', '-c', 'echo "pass=$WORKERPASS"; echo done; exec sleep 300'],
    });
    const { request, events } = startRequest({ workerName: uniqueWorkerName('secret'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      await events.waitForLog(/^done$/);
      expect(events.logs.map((entry) => entry.line)).toContain('pass=<redacted>');
      expect(JSON.stringify(events.logs)).not.toContain(request.password);
    } finally {
      await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
    }
  });

  it('never lets the worker password into the health-check message', async () => {
    const provider = createDockerProvider({
      image: busyboxImage,
      command: ['sh', '-c', 'echo "password is $WORKERPASS"; exit 1'],
    });
    const { request } = startRequest({ workerName: uniqueWorkerName('leak'), masterId });
    const instance = await provider.startInstance(request, { signal: signal() });
    try {
      await docker.getContainer(instance.id).wait();
      const health = await provider.checkInstance(instance, { signal: signal() });
      expect(health).toEqual({ healthy: false, message: expect.stringContaining('password is <redacted>') });
      expect(JSON.stringify(health)).not.toContain(request.password);
    } finally {
      await provider.stopInstance({ request, instance }, { fast: false, signal: signal() });
    }
  });
});
