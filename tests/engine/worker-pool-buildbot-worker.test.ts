import { type InstanceHandle, LatentWorker, type ProviderV1, WorkerPool } from '@latentci/core';
import {
  connectLatentWorker,
  startWorkerServer,
  type WorkerConnection,
  type WorkerServer,
} from '@latentci/worker-protocol';
import { type RealWorker, startRealWorker } from '@latentci/worker-protocol/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A warm pool of real buildbot-worker processes (Debian's 3.7) logged in to the worker-protocol
// server over PB: the lease's connection is the worker's, so a client runs commands on it directly.
interface ProcessInstance extends InstanceHandle {
  readonly worker: RealWorker;
}

const workers = new Set<RealWorker>();
let server: WorkerServer;

beforeAll(async () => {
  server = await startWorkerServer({ pb: { port: 0 } });
});

afterAll(async () => {
  for (const worker of workers) await worker.stop();
  await server?.close();
});

/** Each instance is a buildbot-worker process started from the environment contract; a stop grants it a grace period to exit by itself. */
function processProvider(exits: (number | null)[]): ProviderV1<ProcessInstance> {
  return {
    specificationVersion: 'v1',
    provider: 'buildbot-worker-process',
    capabilities: { healthCheck: false, perBuildSettings: false, orphanReaping: false, startupLogs: false },
    async startInstance(request) {
      const { environment } = request;
      const worker = await startRealWorker({
        host: environment.BUILDMASTER as string,
        port: Number(environment.BUILDMASTER_PORT),
        name: environment.WORKERNAME as string,
        password: environment.WORKERPASS as string,
      });
      workers.add(worker);
      return { id: String(worker.pid), worker };
    },
    async stopInstance(target) {
      const worker = target.instance?.worker;
      if (!worker) return;
      const exit = await Promise.race([
        worker.exited,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10_000)),
      ]);
      await worker.stop();
      workers.delete(worker);
      exits.push(exit?.code ?? null);
    },
  };
}

describe('WorkerPool with real buildbot-workers over PB', () => {
  it('a warm lease gives the attached worker connection: `await lease.connection.runShell(…)` is the whole client', async () => {
    const address = server.addresses.pb;
    if (!address) throw new Error('the worker server has no PB address');
    const exits: (number | null)[] = [];
    const pool = new WorkerPool<ProcessInstance, WorkerConnection>({
      namePrefix: 'bbw',
      idle: 1,
      max: 2,
      createWorker: (name, { password }) => {
        const worker = new LatentWorker({
          name,
          password,
          provider: processProvider(exits),
          masterId: 'latentci-pool-buildbot-worker',
          masterFQDN: `${address.host}:${address.port}`,
          missingTimeout: 60,
        });
        connectLatentWorker(server, worker);
        return worker;
      },
    });
    try {
      await pool.whenWarm({ signal: AbortSignal.timeout(60_000) });
      const lease = await pool.acquire();
      expect(lease.warm).toBe(true);
      expect(lease.connection).toBe(server.connection(lease.name));

      const result = await lease.connection.runShell({ command: ['echo', 'hello'] });
      expect(result).toMatchObject({ rc: 0, stdout: 'hello\n' });

      // Ephemeral: the worker is told to shut down, exits by itself, and a fresh one is warm.
      await lease.release({ result: 'SUCCESS' });
      expect(exits).toEqual([0]);
      expect(server.connection(lease.name)).toBeUndefined();
      await pool.whenWarm({ signal: AbortSignal.timeout(60_000) });
      const next = await pool.acquire();
      expect(next.name).not.toBe(lease.name);
      expect(await next.connection.runShell({ command: 'echo $0 works' })).toMatchObject({ rc: 0 });
    } finally {
      await pool.close();
    }
    // Every worker the pool started exited by itself when told to shut down.
    expect(workers.size).toBe(0);
    expect(exits.length).toBeGreaterThanOrEqual(2);
    expect(exits.every((code) => code === 0)).toBe(true);
  }, 120_000);
});
