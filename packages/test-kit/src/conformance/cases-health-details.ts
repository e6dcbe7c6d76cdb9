import assert from 'node:assert/strict';
import { type InstanceHealth, latentErrorCode, type Provider } from '@latentci/core';
import { settleWithin } from './case-helpers.js';
import type { ConformanceCase } from './cases.js';
import { type CaseHarness, type DirectStart, sleep } from './harness.js';

/** Seconds the lifecycle waits for the never-placed worker before its missing-timeout fires. */
const PENDING_MISSING_TIMEOUT = 3;

/** Polls `checkInstance` until `done(answer)` or `attachTimeout`; returns the last answer. */
async function pollHealth<Settings>(
  h: CaseHarness<Settings>,
  provider: Provider,
  start: DirectStart,
  done: (health: InstanceHealth) => boolean,
): Promise<{ readonly health: InstanceHealth | undefined; readonly done: boolean }> {
  assert.ok(start.instance, 'startInstance resolved without an instance');
  const deadline = Date.now() + h.attachTimeoutMs;
  let health: InstanceHealth | undefined;
  for (;;) {
    health = await provider.checkInstance?.(start.instance, { signal: AbortSignal.timeout(h.hookTimeoutMs) });
    if (health && done(health)) return { health, done: true };
    if (Date.now() > deadline) return { health, done: false };
    await sleep(500);
  }
}

export const HEALTH_DETAILS_CASES: readonly ConformanceCase[] = [
  {
    id: 'health-pending',
    capability: 'healthDetails',
    title:
      'an instance the backend cannot place is reported pending with a reason, which the missing-timeout error names',
    rule: 'InstanceHealth.pending (capability healthDetails)',
    async run(h) {
      const server = await h.server();
      const provider = h.provider('pending');
      const request = h.request(h.workerName(), h.password(), { host: h.masterHost, masterPort: server.port });
      const start = await h.startDirect(provider, request);
      const polled = await pollHealth(
        h,
        provider,
        start,
        (health) => !health.healthy || (typeof health.pending === 'string' && health.pending.length > 0),
      );
      assert.ok(
        polled.done && polled.health?.healthy === true,
        `[healthDetails] checkInstance of an instance the backend cannot place (worker kind "pending") must answer { healthy: true, pending: '<why>' } within ${h.attachTimeoutMs / 1000} s; its last answer was ${JSON.stringify(polled.health)}`,
      );
      await h.stopDirect(start);

      const worker = await h.worker({
        provider: h.provider('pending'),
        missingTimeout: PENDING_MISSING_TIMEOUT,
        checkInstanceInterval: 1,
      });
      const result = await settleWithin(
        worker.substantiate(),
        PENDING_MISSING_TIMEOUT * 1000 + h.hookTimeoutMs,
        'substantiate() of a never-placed worker',
      );
      assert.equal(result.status, 'rejected', 'a worker that is never placed must not attach');
      const error = (result as PromiseRejectedResult).reason as Error;
      assert.match(
        error.message,
        /still pending: /,
        `[healthDetails] the missing-timeout error of a never-placed worker must name the pending reason; got ${error.name}: ${error.message}`,
      );
      await worker.shutdown();
    },
  },
  {
    id: 'health-not-retryable',
    capability: 'healthDetails',
    title:
      'an instance that can never run is reported unhealthy with retryable: false, and the start fails with CannotSubstantiateError',
    rule: 'InstanceHealth.retryable (capability healthDetails)',
    async run(h) {
      const server = await h.server();
      const provider = h.provider('unplaceable');
      const request = h.request(h.workerName(), h.password(), { host: h.masterHost, masterPort: server.port });
      const start = await h.startDirect(provider, request);
      const polled = await pollHealth(h, provider, start, (health) => !health.healthy);
      const health = polled.health;
      assert.ok(
        polled.done && health?.healthy === false && health.retryable === false,
        `[healthDetails] checkInstance of an instance that can never run (worker kind "unplaceable") must answer { healthy: false, message, retryable: false } within ${h.attachTimeoutMs / 1000} s; its last answer was ${JSON.stringify(health)}`,
      );
      await h.stopDirect(start);

      const worker = await h.worker({ provider: h.provider('unplaceable'), checkInstanceInterval: 1 });
      const result = await settleWithin(
        worker.substantiate(),
        h.attachTimeoutMs,
        'substantiate() of a worker that can never run',
      );
      assert.equal(result.status, 'rejected', 'a worker that can never run must not attach');
      const error = (result as PromiseRejectedResult).reason as Error;
      assert.equal(
        latentErrorCode(error),
        'CANNOT_SUBSTANTIATE',
        `[healthDetails] a health answer with retryable: false must fail the start with CannotSubstantiateError; got ${error.name}: ${error.message}`,
      );
      await worker.shutdown();
    },
  },
];
