import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailedToSubstantiateError, WorkerPool } from '@latentci/core';
import { dockerLatentWorker } from '@latentci/docker';
import { type AttachServer, attachLatentWorker, ensureProbeImage, startAttachServer } from '@latentci/test-kit';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateEngine, startPrivateEngine } from '../support/private-engine.js';

// One pool over two real Docker engines: the shared one the tests use ("near") and a private one
// with its own bridge and socket ("far"), plus an engine that does not answer ("broken": a socket
// nobody listens on). Probes on both engines attach to the same stand-in master; those of the
// private engine use the host's network (its own bridge carries no traffic to the host here).
const shared = new Docker();
const masterId = `latentci-pool-engines-${process.pid}`;
const emptyDirectory = mkdtempSync(join(tmpdir(), 'latentci-pool-broken-'));
let engine: PrivateEngine;
let sharedImage: string;
let privateImage: string;
let server: AttachServer;

beforeAll(async () => {
  engine = await startPrivateEngine({ bridge: 'latentci-pool0', address: '10.214.0.1/24' });
  [sharedImage, privateImage] = await Promise.all([ensureProbeImage(), ensureProbeImage({ docker: engine.docker })]);
  server = await startAttachServer();
}, 180_000);

afterAll(async () => {
  await server?.close();
  const left = await shared.listContainers({ all: true, filters: { label: [`io.latentci.master=${masterId}`] } });
  await Promise.all(left.map((each) => shared.getContainer(each.Id).remove({ force: true })));
  await engine?.destroy();
  rmSync(emptyDirectory, { recursive: true, force: true });
}, 120_000);

function backend(name: string, dockerHost: string, image: string, capacity: number, hostNetwork = false) {
  return {
    name,
    capacity,
    createWorker: (workerName: string, { password }: { readonly password: string }) => {
      const worker = dockerLatentWorker({
        name: workerName,
        password,
        masterId,
        image,
        dockerHost,
        masterFQDN: server.masterFQDN,
        ...(hostNetwork ? { hostconfig: { network_mode: 'host' } } : {}),
        missingTimeout: 60,
        checkInstanceInterval: 1,
      });
      attachLatentWorker(server, worker);
      return worker;
    },
  };
}

async function containersOn(docker: Docker): Promise<string[]> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`io.latentci.master=${masterId}`] } });
  return containers.map((container) => container.Labels['io.latentci.worker'] ?? '').sort();
}

async function until(condition: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('WorkerPool over two real Docker engines', () => {
  it('fills the preferred engine first, spills over to the second, and skips an engine that fails', async () => {
    const pool = new WorkerPool({
      namePrefix: 'two',
      idle: 2,
      max: 5,
      backends: [
        backend('broken', `unix://${join(emptyDirectory, 'docker.sock')}`, sharedImage, 5),
        backend('near', 'unix:///var/run/docker.sock', sharedImage, 2),
        backend('far', `unix://${engine.socketPath}`, privateImage, 3, true),
      ],
    });
    const failures: { backend: string; error: Error }[] = [];
    pool.on('start-failed', (failure) => failures.push(failure));
    try {
      // Warm-ups try the broken engine first: it fails, is quarantined, and "near" takes them.
      await until(() => pool.stats().idle === 2, 'two warm workers');
      expect(failures.length).toBeGreaterThanOrEqual(1);
      expect(failures.every((failure) => failure.backend === 'broken')).toBe(true);
      expect(failures[0]?.error).toBeInstanceOf(FailedToSubstantiateError);
      const [broken, near, far] = pool.stats().backends;
      expect(broken).toMatchObject({ name: 'broken', quarantined: true, workers: 0 });
      expect(near).toMatchObject({ name: 'near', workers: 2 });
      expect(far).toMatchObject({ name: 'far', workers: 0 });
      expect(await containersOn(shared)).toHaveLength(2);
      expect(await containersOn(engine.docker)).toHaveLength(0);

      // "near" is full once its two workers are leased: the refill spills over to "far".
      const leases = [await pool.acquire(), await pool.acquire()];
      expect(leases.map((lease) => [lease.backend, lease.warm])).toEqual([
        ['near', true],
        ['near', true],
      ]);
      await until(() => pool.stats().idle === 2, 'two warm workers on the second engine');
      expect(pool.stats().backends.map((each) => each.workers)).toEqual([0, 2, 2]);
      expect(await containersOn(engine.docker)).toHaveLength(2);

      // Up to max: the third lease and a cold start are on "far" (capacity 3).
      leases.push(await pool.acquire(), await pool.acquire(), await pool.acquire());
      expect(leases.slice(2).map((lease) => lease.backend)).toEqual(['far', 'far', 'far']);
      expect(pool.stats()).toMatchObject({ total: 5, leased: 5 });
      for (const lease of leases) await lease.release({ result: 'SUCCESS' });
      await until(() => pool.stats().idle === 2 && pool.stats().stopping === 0, 'the refill after the releases');
      // Back to the preferred engine that works.
      expect(pool.stats().backends.map((each) => each.workers)).toEqual([0, 2, 0]);
    } finally {
      await pool.close();
    }
    expect(await containersOn(shared)).toEqual([]);
    expect(await containersOn(engine.docker)).toEqual([]);
  }, 240_000);
});
