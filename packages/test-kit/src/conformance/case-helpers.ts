import assert from 'node:assert/strict';
import type { LatentWorker, Properties, Provider, StartInstanceRequest } from '@latentci/core';
import type { AttachRecord, AttachServer } from '../attach/attach-server.js';
import { type CaseHarness, type DirectStart, withTimeout } from './harness.js';

/** Waits for the worker's attach and checks what the attach server saw against the contract. */
export async function expectAttached<Settings>(
  harness: CaseHarness<Settings>,
  server: AttachServer,
  name: string,
  environment?: Record<string, string>,
): Promise<AttachRecord> {
  const record = await server.waitForAttach(name, { timeoutMs: harness.attachTimeoutMs }).catch((error: Error) => {
    assert.fail(
      `[environment contract] the worker "${name}" never attached to the attach server at ${server.masterFQDN} with its name and password: ${error.message}`,
    );
  });
  assert.equal(record.passwordMatched, true, `worker "${name}" presented a wrong password`);
  if (environment) assertEnvironment(record, environment);
  return record;
}

export function assertEnvironment(record: AttachRecord, expected: Record<string, string>): void {
  assert.ok(
    record.environment,
    `[environment contract] worker "${record.workerName}" attached but did not report its environment (the probe sends an ENV line)`,
  );
  for (const [key, value] of Object.entries(expected)) {
    if (key === 'WORKERPASS') {
      assert.equal(
        record.environmentPasswordMatched,
        true,
        `[environment contract] WORKERPASS in the worker's environment is not the worker's password`,
      );
      continue;
    }
    assert.equal(
      record.environment[key],
      value,
      `[environment contract] ${key} in the worker's environment is ${JSON.stringify(record.environment[key])}, expected ${JSON.stringify(value)}`,
    );
  }
}

/** Substantiates through the lifecycle; a failure explains what the attach server saw. */
export async function substantiateOrFail<Settings>(
  harness: CaseHarness<Settings>,
  worker: LatentWorker,
  properties?: Properties,
): Promise<void> {
  try {
    await worker.substantiate(properties);
  } catch (error) {
    const seen = harness.describeAttachServers();
    assert.fail(
      `[environment contract] worker "${worker.name}" never attached with its name and password (substantiate() failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}); ${seen}`,
    );
  }
}

export async function settleWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<PromiseSettledResult<T>> {
  const [result] = await Promise.allSettled([withTimeout(promise, ms, what)]);
  if (result?.status === 'rejected' && /did not finish within/.test(String((result.reason as Error)?.message))) {
    assert.fail(`${what} did not settle within ${ms} ms`);
  }
  return result as PromiseSettledResult<T>;
}

/** Starts one instance directly through the contract and waits until its worker attached. */
export async function startAttachedDirect<Settings>(
  h: CaseHarness<Settings>,
  provider: Provider = h.provider(),
): Promise<{ server: AttachServer; name: string; request: StartInstanceRequest; start: DirectStart }> {
  const server = await h.server();
  const name = h.workerName();
  const request = h.request(name, h.password(), { host: h.masterHost, masterPort: server.port });
  server.expectWorker(name, request.password);
  const start = await h.startDirect(provider, request);
  await expectAttached(h, server, name);
  return { server, name, request, start };
}
