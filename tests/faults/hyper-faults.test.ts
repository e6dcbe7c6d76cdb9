import { FailedToSubstantiateError, LatentWorker } from '@latentci/core';
import {
  createHyperProvider,
  HyperAuthenticationError,
  HyperClockSkewError,
  type HyperProviderSettings,
} from '@latentci/hyper';
import { type HyperSimulator, startHyperSimulator } from '@latentci/hyper/testing';
import { type AttachServer, attachLatentWorker, ensureProbeImage, startAttachServer } from '@latentci/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { recordFaultCase } from '../support/fault-report.js';

// Faults of the Hyper API on its simulator (which verifies every signature like the real server
// and runs real containers): authentication failures are final and never show the secret key;
// server errors are retryable; nothing is left in the account.
const accessKey = 'LATENTCIFAULTSUITE01';
const secretKey = 'hyper-fault-suite-secret-key-0123456789';
let simulator: HyperSimulator;
let server: AttachServer;
let image: string;
const workers: LatentWorker[] = [];

beforeAll(async () => {
  image = await ensureProbeImage();
  server = await startAttachServer();
  // Not strict: these cases send requests the server must reject.
  simulator = await startHyperSimulator({ credentials: { [accessKey]: secretKey }, strict: false });
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.shutdown()));
  simulator.setFaults({});
});

afterAll(async () => {
  await simulator?.close();
  await server?.close();
});

function worker(name: string, settings: Partial<HyperProviderSettings> = {}): LatentWorker {
  const created = new LatentWorker({
    name,
    provider: createHyperProvider({ hyperHost: simulator.url, accessKey, secretKey, image, ...settings }),
    masterId: 'latentci-faults-hyper',
    masterFQDN: `${server.host}:${server.port}`,
    buildWaitTimeout: 0,
    missingTimeout: 60,
    checkInstanceInterval: 0.5,
  });
  workers.push(created);
  attachLatentWorker(server, created);
  return created;
}

async function containersLeft(): Promise<number> {
  return (await simulator.containers()).length;
}

describe('Hyper faults', () => {
  it('401 (wrong secret key): not retried, says to check the keys, never shows the key', async () => {
    const wrongSecret = 'not-the-hyper-secret-key-987654321';
    const target = worker('hyper-401', { secretKey: wrongSecret });
    const error = await target.substantiate().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HyperAuthenticationError);
    expect((error as HyperAuthenticationError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/key/i);
    expect((error as Error).message).not.toContain(wrongSecret);
    expect((error as Error).message).not.toContain(secretKey);
    const leaks = await containersLeft();
    expect(leaks).toBe(0);
    recordFaultCase({ backend: 'hyper', fault: '401 wrong secret key', faultsInjected: 1, leaks });
  });

  it.each([
    ['expired (the server is 10 minutes ahead)', 10 * 60_000],
    ['skewed into the future (the server is 10 minutes behind)', -10 * 60_000],
  ])('a request date %s: a clock-skew error that says so, not retried', async (_label, clockSkewMs) => {
    simulator.setFaults({ clockSkewMs });
    const target = worker(`hyper-skew-${clockSkewMs > 0 ? 'expired' : 'future'}`);
    const error = await target.substantiate().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HyperClockSkewError);
    expect((error as HyperClockSkewError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/clock/i);
    simulator.setFaults({});
    const leaks = await containersLeft();
    expect(leaks).toBe(0);
    recordFaultCase({
      backend: 'hyper',
      fault: `date ${clockSkewMs > 0 ? 'expired' : 'in the future'}`,
      faultsInjected: 1,
      leaks,
    });
  });

  it('a 500 on create: a retryable error, then the next start attaches, and nothing is left', async () => {
    simulator.setFaults({
      errors: [{ status: 500, method: 'POST', path: /\/containers\/create$/, times: 1, message: 'internal error' }],
    });
    const target = worker('hyper-5xx');
    const error = await target.substantiate().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FailedToSubstantiateError);
    expect((error as FailedToSubstantiateError).retryable).toBe(true);
    await target.whenIdle();
    await target.substantiate();
    await target.insubstantiate();
    const leaks = await containersLeft();
    expect(leaks).toBe(0);
    recordFaultCase({ backend: 'hyper', fault: '500 on create', faultsInjected: 1, leaks });
  });
});
