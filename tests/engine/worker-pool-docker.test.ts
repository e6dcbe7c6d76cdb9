import { WorkerPool } from '@latentci/core';
import { dockerLatentWorker } from '@latentci/docker';
import {
  type AttachConnection,
  type AttachServer,
  attachLatentWorker,
  ensureProbeImage,
  startAttachServer,
} from '@latentci/test-kit';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CountingDockerProxy, startCountingDockerProxy } from '../support/counting-docker-proxy.js';

// A warm pool on the real Docker engine with the probe worker image: the probes connect back to
// an attach server (the stand-in master), so a lease is a worker that really attached.
const docker = new Docker();
const masterId = `latentci-pool-docker-${process.pid}`;
let image: string;
let server: AttachServer;
let proxy: CountingDockerProxy;

beforeAll(async () => {
  image = await ensureProbeImage();
  server = await startAttachServer();
  proxy = await startCountingDockerProxy();
});

afterAll(async () => {
  await server?.close();
  await proxy?.close();
  // Whatever a failed test left behind.
  const left = await docker.listContainers({ all: true, filters: { label: [`io.latentci.master=${masterId}`] } });
  await Promise.all(left.map((each) => docker.getContainer(each.Id).remove({ force: true })));
});

function dockerPool(options: { idle: number; max: number; namePrefix: string }) {
  return new WorkerPool({
    ...options,
    createWorker: (name, { password }) => {
      const worker = dockerLatentWorker({
        name,
        password,
        masterId,
        image,
        dockerHost: proxy.dockerHost,
        masterFQDN: server.masterFQDN,
        missingTimeout: 60,
        checkInstanceInterval: 1,
      });
      attachLatentWorker(server, worker);
      return worker;
    },
  });
}

async function managedContainers(): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`io.latentci.master=${masterId}`] } });
  return containers.length;
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('WorkerPool on a real Docker engine with probe workers', () => {
  it('idle 2, max 5: a burst of 20 acquires is served by attached workers, and nothing leaks', async () => {
    const pool = dockerPool({ namePrefix: 'burst', idle: 2, max: 5 });
    try {
      await until(() => pool.stats().idle === 2, 'two warm workers');
      let concurrent = 0;
      let mostConcurrent = 0;
      const served = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const lease = await pool.acquire({ signal: AbortSignal.timeout(120_000) });
          concurrent += 1;
          mostConcurrent = Math.max(mostConcurrent, concurrent, pool.stats().total);
          const connection = lease.connection as AttachConnection;
          const attached = {
            name: lease.name,
            accepted: connection.record.accepted,
            password: connection.record.passwordMatched,
          };
          await new Promise((resolve) => setTimeout(resolve, 50));
          concurrent -= 1;
          await lease.release({ result: 'SUCCESS' });
          return attached;
        }),
      );
      expect(served).toHaveLength(20);
      for (const each of served) {
        expect(each.name).toMatch(/^burst-[1-5]$/);
        expect(each).toMatchObject({ accepted: true, password: true });
      }
      expect(mostConcurrent).toBeLessThanOrEqual(5);
      expect(pool.stats()).toMatchObject({ leases: 20, leased: 0, waiting: 0 });
      expect(pool.stats().warmLeases).toBeGreaterThanOrEqual(2);
    } finally {
      await pool.close();
    }
    expect(pool.stats().total).toBe(0);
    expect(await managedContainers()).toBe(0);
  }, 180_000);

  it('a warm acquire returns an attached worker without any Engine API call on the request path', async () => {
    const pool = dockerPool({ namePrefix: 'warm', idle: 2, max: 5 });
    try {
      await until(() => pool.stats().idle === 2, 'two warm workers');
      const requestsBefore = proxy.requests.length;
      const bytesBefore = proxy.bytesToEngine;
      const lease = await pool.acquire();
      // Read in the continuation of the acquire: an awaited engine call would have gone through
      // the proxy before the lease was handed out.
      const bytesAtLease = proxy.bytesToEngine;
      const requestsAtLease = proxy.requests.slice(requestsBefore);
      expect(lease.warm).toBe(true);
      expect(lease.worker.substantiated).toBe(true);
      expect((lease.connection as AttachConnection).record).toMatchObject({ workerName: lease.name, accepted: true });
      expect(requestsAtLease).toEqual([]);
      expect(bytesAtLease).toBe(bytesBefore);
      // The replacement warm-up does use the engine, in the background.
      await until(() => pool.stats().idle === 2, 'the replacement');
      expect(proxy.requests.slice(requestsBefore).some((request) => request.includes('/containers/create'))).toBe(true);
      await lease.release();
    } finally {
      await pool.close();
    }
    expect(await managedContainers()).toBe(0);
  }, 120_000);
});
