import { containerName, LatentWorkerState, masterHash, WorkerCrashedError } from '@latentci/core';
import { type AttachServer, attachLatentWorker, ensureProbeImage, startAttachServer } from '@latentci/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { findContainersByExactName } from './container-lookup.js';
import { dockerLatentWorker } from './docker-latent-worker.js';
import { withEngine } from './test-engine.js';
import { cleanUpMaster, docker, uniqueMasterId, uniqueWorkerName } from './test-support.js';
import { importBusyboxImage } from './testing/busybox-image.js';

const masterId = uniqueMasterId('worker');
let probeImage: string;
let busyboxImage: string;
let server: AttachServer;

withEngine(async () => {
  probeImage = await ensureProbeImage({ docker });
  busyboxImage = await importBusyboxImage({ docker });
  server = await startAttachServer();
});

afterAll(async () => {
  await cleanUpMaster(masterId);
  await server?.close();
});

function reachState(worker: ReturnType<typeof dockerLatentWorker>, state: LatentWorkerState): Promise<void> {
  if (worker.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const unsubscribe = worker.on('state', ({ to }) => {
      if (to !== state) return;
      unsubscribe();
      resolve();
    });
  });
}

async function containersNamed(name: string) {
  return findContainersByExactName(docker, name, AbortSignal.timeout(30_000));
}

describe('dockerLatentWorker end to end', () => {
  it('substantiates a container with the environment contract, the worker attaches, and the container is gone after the build', async () => {
    const name = uniqueWorkerName('e2e');
    const worker = dockerLatentWorker({
      name,
      masterId,
      image: probeImage,
      masterFQDN: server.masterFQDN,
      missingTimeout: 120,
      checkInstanceInterval: 1,
    });
    const unwire = attachLatentWorker(server, worker);
    try {
      expect(worker.timings.buildWaitTimeout).toBe(0);
      await worker.substantiate();
      expect(worker.substantiated).toBe(true);
      const record = await server.waitForAttach(name);
      expect(record).toMatchObject({ workerName: name, passwordMatched: true, environmentPasswordMatched: true });
      const [container] = await containersNamed(containerName(name, masterHash(masterId)));
      const inspected = await docker.getContainer(container?.Id ?? 'missing').inspect();
      expect(inspected.Config.Env).toEqual(
        expect.arrayContaining([
          `BUILDMASTER=${server.host}`,
          `BUILDMASTER_PORT=${server.port}`,
          'BUILDMASTER_PROTOCOL=pb',
          `WORKERNAME=${name}`,
          `WORKERPASS=${worker.password}`,
        ]),
      );
      worker.buildStarted();
      const stopped = reachState(worker, LatentWorkerState.NOT_SUBSTANTIATED);
      worker.buildFinished({ result: 'SUCCESS' });
      await stopped;
      await worker.whenIdle();
      await expect(docker.getContainer(inspected.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      unwire();
      await worker.shutdown();
    }
  });

  it('fails fast: a container that exits before attaching is reported with its logs, and removed', async () => {
    const name = uniqueWorkerName('crash');
    const worker = dockerLatentWorker({
      name,
      masterId,
      image: busyboxImage,
      command: ['sh', '-c', 'echo "cannot reach the master"; exit 7'],
      masterFQDN: server.masterFQDN,
      missingTimeout: 600,
      checkInstanceInterval: 1,
    });
    try {
      const error = await worker.substantiate().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect((error as Error).message).toContain('latent worker crashed before connecting');
      expect((error as Error).message).toMatch(/exited with code 7; logs: \ncannot reach the master\n/);
      await worker.whenIdle();
      expect(await containersNamed(containerName(name, masterHash(masterId)))).toEqual([]);
    } finally {
      await worker.shutdown();
    }
  });
});
