import { LatentWorker, WorkerPool } from '@latentci/core';
import {
  connectLatentWorker,
  startWorkerServer,
  type WorkerConnection,
  type WorkerServer,
} from '@latentci/worker-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BuildbotWorkerProcessProvider,
  buildbotWorkerProcessProvider,
  type ProcessInstance,
} from '../support/buildbot-worker-process-provider.js';

// A warm pool of real buildbot-worker processes (Debian's 3.7) logged in to the worker-protocol
// server over PB: the lease's connection is the worker's, so a client runs commands on it directly.
let server: WorkerServer;
const provider: BuildbotWorkerProcessProvider = buildbotWorkerProcessProvider();

beforeAll(async () => {
  server = await startWorkerServer({ pb: { port: 0 } });
});

afterAll(async () => {
  await provider.stopAll();
  await server?.close();
});

describe('WorkerPool with real buildbot-workers over PB', () => {
  it('a warm lease gives the attached worker connection: `await lease.connection.runShell(…)` is the whole client', async () => {
    const address = server.addresses.pb;
    if (!address) throw new Error('the worker server has no PB address');
    const pool = new WorkerPool<ProcessInstance, WorkerConnection>({
      namePrefix: 'bbw',
      idle: 1,
      max: 2,
      createWorker: (name, { password }) => {
        const worker = new LatentWorker({
          name,
          password,
          provider,
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
      expect(provider.exits).toEqual([{ code: 0, signal: null }]);
      expect(server.connection(lease.name)).toBeUndefined();
      await pool.whenWarm({ signal: AbortSignal.timeout(60_000) });
      const next = await pool.acquire();
      expect(next.name).not.toBe(lease.name);
      expect(await next.connection.runShell({ command: 'echo $0 works' })).toMatchObject({ rc: 0 });
    } finally {
      await pool.close();
    }
    // Every worker the pool started exited by itself when told to shut down.
    expect(provider.running.size).toBe(0);
    expect(provider.exits.length).toBeGreaterThanOrEqual(2);
    for (const exit of provider.exits) expect(exit).toEqual({ code: 0, signal: null });
  }, 120_000);
});
