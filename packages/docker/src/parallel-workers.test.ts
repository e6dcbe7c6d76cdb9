import { OWNER_LABELS } from '@latentci/core';
import { type AttachServer, attachLatentWorker, ensureProbeImage, startAttachServer } from '@latentci/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerLatentWorker } from './docker-latent-worker.js';
import { withEngine } from './test-engine.js';
import { cleanUpMaster, docker, uniqueMasterId, uniqueWorkerName } from './test-support.js';

const masterId = uniqueMasterId('parallel');
let probeImage: string;
let server: AttachServer;

withEngine(async () => {
  probeImage = await ensureProbeImage({ docker });
  server = await startAttachServer();
});

afterAll(async () => {
  await cleanUpMaster(masterId);
  await server?.close();
});

describe('many workers at once', () => {
  it('ten workers substantiate in parallel, all attach with their own credentials, and nothing is left behind', async () => {
    const workers = Array.from({ length: 10 }, () =>
      dockerLatentWorker({
        name: uniqueWorkerName('parallel'),
        masterId,
        image: probeImage,
        masterFQDN: server.masterFQDN,
        missingTimeout: 180,
        checkInstanceInterval: 2,
      }),
    );
    const unwire = workers.map((worker) => attachLatentWorker(server, worker));
    try {
      await Promise.all(workers.map((worker) => worker.substantiate()));
      expect(workers.every((worker) => worker.substantiated)).toBe(true);
      const records = await Promise.all(workers.map((worker) => server.waitForAttach(worker.name)));
      expect(records.map((record) => record.workerName).sort()).toEqual(workers.map((worker) => worker.name).sort());
      expect(records.every((record) => record.passwordMatched && record.environmentPasswordMatched)).toBe(true);
      const running = await docker.listContainers({ filters: { label: [`${OWNER_LABELS.master}=${masterId}`] } });
      expect(running).toHaveLength(10);
    } finally {
      for (const forget of unwire) forget();
      await Promise.all(workers.map((worker) => worker.shutdown()));
    }
    expect(
      await docker.listContainers({ all: true, filters: { label: [`${OWNER_LABELS.master}=${masterId}`] } }),
    ).toEqual([]);
  });
});
