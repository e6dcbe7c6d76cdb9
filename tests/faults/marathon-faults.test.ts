import {
  CannotSubstantiateError,
  ConfigurationError,
  FailedToSubstantiateError,
  LatentWorker,
  WorkerCrashedError,
} from '@latentci/core';
import { createMarathonProvider, MarathonAuthenticationError, type MarathonSettings } from '@latentci/marathon';
import { type MarathonSimulator, startMarathonSimulator } from '@latentci/marathon/testing';
import { type AttachServer, attachLatentWorker, ensureProbeImage, startAttachServer } from '@latentci/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { recordFaultCase } from '../support/fault-report.js';

// Faults of a Marathon cluster, on the simulator with real containers behind it: each case checks
// the typed outcome the master sees and that no app is left.
const credentials = { user: 'ci-master', password: 'marathon-fault-suite-password' };
let simulator: MarathonSimulator;
let server: AttachServer;
let image: string;
const workers: LatentWorker[] = [];

beforeAll(async () => {
  image = await ensureProbeImage();
  server = await startAttachServer();
  simulator = await startMarathonSimulator({ runtime: 'docker', auth: credentials, deploymentDuration: 300 });
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.shutdown()));
  simulator.setFaults({});
});

afterAll(async () => {
  await simulator?.close();
  await server?.close();
});

function worker(name: string, settings: Partial<MarathonSettings> = {}, missingTimeout = 60): LatentWorker {
  const created = new LatentWorker({
    name,
    provider: createMarathonProvider({
      marathonUrl: simulator.url,
      image,
      marathonAuth: credentials,
      retryDelayMs: 100,
      ...settings,
    }),
    masterId: 'latentci-faults-marathon',
    masterFQDN: `${server.host}:${server.port}`,
    buildWaitTimeout: 0,
    missingTimeout,
    checkInstanceInterval: 0.5,
  });
  workers.push(created);
  attachLatentWorker(server, created);
  return created;
}

/** Apps left once deployments settle (a delete is a deployment in Marathon too). */
async function appsLeft(): Promise<number> {
  for (let attempt = 0; attempt < 50 && simulator.apps().length > 0; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return simulator.apps().length;
}

async function fullCycle(target: LatentWorker): Promise<void> {
  await target.substantiate();
  await target.insubstantiate();
}

describe('Marathon faults', () => {
  it('a burst of 503s on create: retried with backoff, the worker attaches, nothing left', async () => {
    simulator.setFaults({ errors: [{ method: 'POST', path: '/v2/apps', status: 503, times: 3 }] });
    await fullCycle(worker('marathon-5xx'));
    const leaks = await appsLeft();
    expect(leaks).toBe(0);
    expect(simulator.requests().filter((request) => request.method === 'POST' && request.status === 503)).toHaveLength(
      3,
    );
    recordFaultCase({ backend: 'marathon', fault: '503 burst on create', faultsInjected: 3, leaks });
  });

  it('409 "locked by deployment" on create: waited out and retried, nothing left', async () => {
    simulator.setFaults({
      errors: [
        {
          method: 'POST',
          path: '/v2/apps',
          status: 409,
          times: 2,
          body: {
            message: "App is locked by one or more deployments. Override with the option '?force=true'.",
            deployments: [],
          },
        },
      ],
    });
    await fullCycle(worker('marathon-409'));
    const leaks = await appsLeft();
    expect(leaks).toBe(0);
    recordFaultCase({ backend: 'marathon', fault: '409 deployment lock', faultsInjected: 2, leaks });
  });

  it('422 on create: not retried, the build ends with the configuration error listing Marathon’s details', async () => {
    const target = worker('marathon-422', { marathonExtraConfig: { mem: -1 } });
    const error = await target.substantiate().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CannotSubstantiateError);
    expect((error as CannotSubstantiateError).retryable).toBe(false);
    expect((error as Error).cause).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/mem/);
    expect(simulator.requests().filter((request) => request.method === 'POST' && request.status === 422)).toHaveLength(
      1,
    );
    await target.whenIdle();
    const leaks = await appsLeft();
    expect(leaks).toBe(0);
    recordFaultCase({ backend: 'marathon', fault: '422 invalid app', faultsInjected: 1, leaks });
  });

  it('slow responses: a start within the request timeout succeeds; beyond it, a retryable error and nothing left', async () => {
    simulator.setFaults({ latency: 300 });
    await fullCycle(worker('marathon-slow'));

    simulator.setFaults({ latency: 1500 });
    const target = worker('marathon-too-slow', { requestTimeoutMs: 500, startAttempts: 2 });
    const started = performance.now();
    const error = await target.substantiate().catch((caught: unknown) => caught);
    const decisionMs = performance.now() - started;
    expect(error).toBeInstanceOf(FailedToSubstantiateError);
    expect((error as FailedToSubstantiateError).retryable).toBe(true);
    simulator.setFaults({});
    await target.whenIdle();
    const leaks = await appsLeft();
    expect(leaks).toBe(0);
    recordFaultCase({ backend: 'marathon', fault: 'slow responses', faultsInjected: 2, leaks, decisionMs });
  });

  it('a task that keeps failing: WorkerCrashedError with Marathon’s message at the next check, nothing left', async () => {
    simulator.setFaults({ failTasks: 'Failed to launch container: exec format error' });
    const target = worker('marathon-failing-task');
    const started = performance.now();
    const error = await target.substantiate().catch((caught: unknown) => caught);
    const decisionMs = performance.now() - started;
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error as Error).message).toContain('exec format error');
    expect(target.isQuarantined).toBe(true);
    await target.whenIdle();
    const leaks = await appsLeft();
    expect(leaks).toBe(0);
    recordFaultCase({ backend: 'marathon', fault: 'task keeps failing', faultsInjected: 1, leaks, decisionMs });
  });

  it('wrong credentials: an authentication error, not retried, without the password in it', async () => {
    const target = worker('marathon-401', { marathonAuth: { user: 'ci-master', password: 'not-the-password-123' } });
    const error = await target.substantiate().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MarathonAuthenticationError);
    expect((error as MarathonAuthenticationError).retryable).toBe(false);
    expect((error as Error).message).not.toContain('not-the-password-123');
    expect((error as Error).message).toMatch(/marathonAuth/);
    const leaks = await appsLeft();
    expect(leaks).toBe(0);
    recordFaultCase({ backend: 'marathon', fault: '401 wrong credentials', faultsInjected: 1, leaks });
  });
});
