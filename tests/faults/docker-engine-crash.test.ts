import { FailedToSubstantiateError, LatentWorker, LatentWorkerState } from '@latentci/core';
import { createDockerProvider } from '@latentci/docker';
import { ensureProbeImage } from '@latentci/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFaultCase } from '../support/fault-report.js';
import { type PrivateEngine, startPrivateEngine } from '../support/private-engine.js';

// The Docker engine dies while a worker starts, then comes back: the master gets a typed,
// retryable error in bounded time, the worker is quarantined, and the container the dead engine
// left behind is reaped once the engine is back. On a private engine, so that killing it does not
// disturb the other test files.
let engine: PrivateEngine;
let image: string;
const masterId = `latentci-faults-engine-crash-${process.pid}`;

beforeAll(async () => {
  engine = await startPrivateEngine();
  image = await ensureProbeImage({ docker: engine.docker });
}, 120_000);

afterAll(async () => {
  await engine?.destroy();
}, 120_000);

async function managedContainers(): Promise<number> {
  const containers = await engine.docker.listContainers({
    all: true,
    filters: { label: [`io.latentci.master=${masterId}`] },
  });
  return containers.length;
}

describe('the Docker engine killed during a start', () => {
  it('fails the start with a retryable typed error, quarantines, and the orphan is reaped after a restart', async () => {
    const provider = createDockerProvider({ image, dockerHost: `unix://${engine.socketPath}` });
    const worker = new LatentWorker({
      name: 'engine-crash',
      provider,
      masterId,
      // The container's own loopback, where nobody listens: the probe never connects and the start
      // stays pending (no traffic leaves the container).
      masterFQDN: '127.0.0.1:1',
      buildWaitTimeout: 0,
      missingTimeout: 60,
      checkInstanceInterval: 0.5,
    });
    try {
      const starting = worker.substantiate().catch((caught: unknown) => caught);
      // Wait until the container exists: the start is in progress on the engine.
      while ((await managedContainers()) === 0) await new Promise((resolve) => setTimeout(resolve, 100));
      await engine.kill();
      const killedAt = performance.now();

      const error = await starting;
      const decisionMs = performance.now() - killedAt;
      expect(error).toBeInstanceOf(FailedToSubstantiateError);
      expect((error as FailedToSubstantiateError).retryable).toBe(true);
      expect((error as FailedToSubstantiateError).quarantined).toBe(true);
      expect(worker.isQuarantined).toBe(true);
      await worker.whenIdle();
      expect(worker.state).toBe(LatentWorkerState.NOT_SUBSTANTIATED);

      await engine.restart();
      expect(await managedContainers()).toBe(1);
      const reaped = await provider.reapOrphans({ masterId }, { signal: AbortSignal.timeout(60_000) });
      expect(reaped.removed).toHaveLength(1);
      expect(reaped.failed).toHaveLength(0);
      const leaks = await managedContainers();
      expect(leaks).toBe(0);
      recordFaultCase({
        backend: 'docker',
        fault: 'engine killed during a start',
        faultsInjected: 1,
        leaks,
        decisionMs,
      });
    } finally {
      await worker.shutdown();
    }
  }, 180_000);
});
