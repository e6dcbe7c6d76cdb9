import { type InstanceHandle, LatentWorker, LatentWorkerState, type ProviderV1 } from '@latentci/core';
import { afterEach, describe, expect, it } from 'vitest';
import { connectLatentWorker } from './latent-worker-wiring.js';
import { type ExitStatus, type RealWorker, startRealWorker } from './testing/real-worker.js';
import { startWorkerServer } from './worker-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface ProcessInstance extends InstanceHandle {
  readonly worker: RealWorker;
}

/**
 * A small provider for the test: each instance is a real buildbot-worker process started from the
 * environment contract (BUILDMASTER, BUILDMASTER_PORT, WORKERNAME, WORKERPASS). Stopping waits a
 * moment for the worker to exit by itself (as `docker stop` grants a grace period), then kills it.
 */
function processProvider(stops: { exit: ExitStatus; log: string }[]): ProviderV1<ProcessInstance> {
  return {
    specificationVersion: 'v1',
    provider: 'buildbot-worker-process',
    capabilities: { healthCheck: false, perBuildSettings: false, orphanReaping: false, startupLogs: false },
    async startInstance(request) {
      const environment = request.environment;
      const worker = await startRealWorker({
        host: environment.BUILDMASTER as string,
        port: Number(environment.BUILDMASTER_PORT),
        name: environment.WORKERNAME as string,
        password: environment.WORKERPASS as string,
      });
      cleanups.push(() => worker.stop());
      return { id: String(worker.pid), worker };
    },
    async stopInstance(target) {
      const worker = target.instance?.worker;
      if (!worker) return;
      const exit = await Promise.race([
        worker.exited,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10_000)),
      ]);
      const log = await worker.log();
      await worker.stop();
      stops.push({ exit: exit ?? (await worker.exited), log });
    },
  };
}

describe('a latent worker wired to the server, with a real buildbot-worker', () => {
  it('substantiate → attached by the real login → shell command → idle timeout → worker shut down and gone', async () => {
    const server = await startWorkerServer({ pb: { port: 0 } });
    cleanups.push(() => server.close());
    const address = server.addresses.pb;
    if (!address) throw new Error('no PB address');
    const stops: { exit: ExitStatus; log: string }[] = [];
    const worker = new LatentWorker({
      name: 'latent-1',
      provider: processProvider(stops),
      masterId: 'worker-protocol-test',
      masterFQDN: `${address.host}:${address.port}`,
      buildWaitTimeout: 1,
      missingTimeout: 60,
    });
    cleanups.push(() => worker.shutdown().catch(() => {}));
    const undo = connectLatentWorker(server, worker);
    cleanups.push(undo);
    const disconnects: string[] = [];
    server.on('disconnect', ({ connection }) => disconnects.push(connection.name));

    await worker.substantiate(undefined, { signal: AbortSignal.timeout(60_000) });
    expect(worker.state).toBe(LatentWorkerState.SUBSTANTIATED);
    expect(worker.substantiated).toBe(true);
    const connection = server.connection('latent-1');
    if (!connection) throw new Error('no connection after substantiation');

    worker.buildStarted();
    const result = await connection.runShell({ command: ['echo', 'hello'] });
    expect(result).toMatchObject({ rc: 0, stdout: 'hello\n' });
    worker.buildFinished({ result: 'SUCCESS' });

    await expect.poll(() => worker.state, { timeout: 30_000 }).toBe(LatentWorkerState.NOT_SUBSTANTIATED);
    await expect.poll(() => stops.length, { timeout: 30_000 }).toBe(1);
    expect(stops[0]?.exit).toEqual({ code: 0, signal: null });
    expect(stops[0]?.log).toContain('worker shutting down on command from master');
    expect(disconnects).toEqual(['latent-1']);
    expect(server.connection('latent-1')).toBeUndefined();
    expect(worker.isConnected).toBe(false);
  }, 120_000);

  it('refuses the login of a worker the lifecycle is not starting (a stale instance)', async () => {
    const server = await startWorkerServer({ pb: { port: 0 } });
    cleanups.push(() => server.close());
    const address = server.addresses.pb;
    if (!address) throw new Error('no PB address');
    const worker = new LatentWorker({
      name: 'latent-2',
      password: 'stale-password',
      provider: processProvider([]),
      masterId: 'worker-protocol-test',
      masterFQDN: `${address.host}:${address.port}`,
    });
    cleanups.push(() => worker.shutdown().catch(() => {}));
    cleanups.push(connectLatentWorker(server, worker));
    const stale = await startRealWorker({
      host: address.host,
      port: address.port,
      name: 'latent-2',
      password: 'stale-password',
    });
    cleanups.push(() => stale.stop());
    await stale.waitForLog('the master refused this login');
    expect((await stale.exited).code).not.toBeNull();
    expect(server.connection('latent-2')).toBeUndefined();
    expect(worker.isConnected).toBe(false);
  }, 60_000);
});
