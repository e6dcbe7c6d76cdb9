import { describe, expect, it } from 'vitest';
import { CannotSubstantiateError, SubstantiationTimeoutError, WorkerCrashedError } from '../errors.js';
import { settle } from '../testing/manual-clock.js';
import { buildResultForSubstantiationFailure } from './build-result.js';
import { observe, workerFixture } from './fixture.test-support.js';

/**
 * The two optional health answers of contract v1 for scheduler backends: `pending` (accepted, not
 * placed yet, and why) and `retryable: false` (the instance can never run).
 */
describe('health answers for scheduler backends', () => {
  it('an unhealthy answer with retryable: false fails the start with CannotSubstantiateError (the build ends with an exception, no quarantine)', async () => {
    const { worker, provider, clock } = workerFixture({ checkInstanceInterval: 10 });
    provider.crashNextInstance('image "ci/missing:1" is not on node-3', { fatal: true });
    const build = observe(worker.substantiate());
    await settle();
    await clock.advance(10);
    expect(build.error).toBeInstanceOf(CannotSubstantiateError);
    expect(build.error).not.toBeInstanceOf(WorkerCrashedError);
    expect((build.error as Error).message).toBe(
      'bot1 cannot substantiate: the health check says the instance can never run (retryable: false): image "ci/missing:1" is not on node-3',
    );
    expect(buildResultForSubstantiationFailure(build.error)).toBe('EXCEPTION');
    expect((build.error as CannotSubstantiateError).quarantined).toBe(false);
    expect(worker.isQuarantined).toBe(false);
    await worker.whenIdle();
    expect(provider.liveInstances).toHaveLength(0);
    expect(worker.canStartBuild()).toBe(true);
  });

  it('an unhealthy answer without retryable stays a WorkerCrashedError (retried after the quarantine)', async () => {
    const { worker, provider, clock } = workerFixture({ checkInstanceInterval: 10 });
    provider.crashNextInstance('exit code 1');
    const build = observe(worker.substantiate());
    await settle();
    await clock.advance(10);
    expect(build.error).toBeInstanceOf(WorkerCrashedError);
    expect(buildResultForSubstantiationFailure(build.error)).toBe('RETRY');
    expect(worker.isQuarantined).toBe(true);
  });

  it('a pending reason is emitted once per change, logged, and named in the missing-timeout error', async () => {
    const { worker, provider, clock, logger } = workerFixture({ checkInstanceInterval: 10, missingTimeout: 60 });
    const reasons: string[] = [];
    worker.on('instance-pending', ({ reason }) => reasons.push(reason));
    provider.pendNextInstance('no node satisfies the constraint disk=ssd');
    const build = observe(worker.substantiate());
    await settle();
    await clock.advance(30);
    expect(reasons).toEqual(['no node satisfies the constraint disk=ssd']);
    expect(logger.messages('info')).toContain(
      'worker bot1: the instance is pending: no node satisfies the constraint disk=ssd',
    );
    await clock.advance(30);
    expect(build.error).toBeInstanceOf(SubstantiationTimeoutError);
    expect((build.error as Error).message).toBe(
      'bot1 did not attach within missingTimeout (60s): the backend never placed the instance, it was still pending: no node satisfies the constraint disk=ssd; make the backend able to place it, or raise missingTimeout',
    );
    await worker.whenIdle();
    expect(provider.liveInstances).toHaveLength(0);
  });

  it('a pending reason never shows the worker password', async () => {
    const password = 'Pending-secret-0123456789';
    const { worker, provider, clock } = workerFixture({ checkInstanceInterval: 10, missingTimeout: 20, password });
    const reasons: string[] = [];
    worker.on('instance-pending', ({ reason }) => reasons.push(reason));
    provider.pendNextInstance(`task rejected: env WORKERPASS=${password} too long`);
    const build = observe(worker.substantiate());
    await settle();
    await clock.advance(20);
    expect(reasons.join('\n')).not.toContain(password);
    expect((build.error as Error).message).not.toContain(password);
  });
});
