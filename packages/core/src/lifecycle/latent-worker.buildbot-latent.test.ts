/**
 * The acceptance checks of reference §7.1 (Buildbot's test/integration/worker/test_latent.py),
 * expressed on the core's API. "The build is RETRY / the request is unclaimed" is what a master
 * does with `buildResultForSubstantiationFailure(error)`; "EXCEPTION" likewise.
 */
import { describe, expect, it } from 'vitest';
import {
  CannotSubstantiateError,
  FailedToSubstantiateError,
  SubstantiationCancelledError,
  SubstantiationTimeoutError,
  WorkerCrashedError,
} from '../errors.js';
import { Properties } from '../renderables/index.js';
import { InMemoryProvider } from '../testing/in-memory-provider.js';
import { manualClock, settle } from '../testing/manual-clock.js';
import { buildResultForSubstantiationFailure } from './build-result.js';
import { ConnectionRejectedError } from './connection-rejected-error.js';
import { observe, workerFixture } from './fixture.test-support.js';
import { LatentWorker } from './latent-worker.js';
import { LatentWorkerState } from './state.js';

function kind(value: string): Properties {
  const properties = new Properties();
  properties.setProperty('worker_kind', value, 'test');
  return properties;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('§7.1 latent core', () => {
  it('L01 two latent workers start their instances in parallel', async () => {
    const clock = manualClock();
    const providers = [new InMemoryProvider(), new InMemoryProvider()];
    const held = providers.map((provider) => provider.holdNextStart());
    const workers = providers.map(
      (provider, index) =>
        new LatentWorker({ name: `bot${index}`, masterId: 'm', masterFQDN: 'master', provider, clock }),
    );
    const builds = workers.map((worker) => worker.substantiate());
    await settle();
    expect(held.map((call) => call.wasCalled)).toEqual([true, true]);
    for (const call of held) call.release();
    await settle();
    await Promise.all(workers.map((worker) => worker.attached()));
    await Promise.all(builds);
    await Promise.all(workers.map((worker) => worker.shutdown()));
  });

  it('L02 a start resolving false fails with FailedToSubstantiate: build RETRY, request unclaimed, error logged', async () => {
    const { worker, provider, logger } = workerFixture();
    provider.refuseNextStart();
    const error = await failure(worker.substantiate());
    expect(error).toBeInstanceOf(FailedToSubstantiateError);
    expect((error as Error).message).toBe('bot1 Worker does not want to substantiate at this time');
    expect(buildResultForSubstantiationFailure(error)).toBe('RETRY');
    expect((error as FailedToSubstantiateError).retryable).toBe(true);
    expect(logger.messages('error').some((line) => line.includes('Worker does not want to substantiate'))).toBe(true);
    await worker.whenIdle();
    expect(provider.stops).toHaveLength(1);
    expect(provider.stops[0]?.instance).toBeUndefined();
  });

  it('L03 a start rejecting with a generic error gives RETRY and the request is unclaimed', async () => {
    const { worker, provider } = workerFixture();
    const cause = new Error('engine unreachable');
    provider.failNextStart(cause);
    const error = await failure(worker.substantiate());
    expect(error).toBeInstanceOf(FailedToSubstantiateError);
    expect((error as Error).cause).toBe(cause);
    expect((error as Error).message).toContain('engine unreachable');
    expect(buildResultForSubstantiationFailure(error)).toBe('RETRY');
  });

  it('L04 a start rejecting with CannotSubstantiate gives EXCEPTION', async () => {
    const { worker, provider } = workerFixture();
    provider.failNextStart(new CannotSubstantiateError('image "nope" does not exist'));
    const error = await failure(worker.substantiate());
    expect(error).toBeInstanceOf(CannotSubstantiateError);
    expect(buildResultForSubstantiationFailure(error)).toBe('EXCEPTION');
    expect((error as CannotSubstantiateError).quarantined).toBe(true);
  });

  it('L05 after a start failure the next start waits 10 s, after a second failure 20 s', async () => {
    const { worker, provider, clock } = workerFixture();
    // A minimal master: one pending build, retried whenever the worker may take builds.
    let pending = true;
    const tryBuild = () => {
      if (!pending || !worker.canStartBuild()) return;
      worker.substantiate().then(
        () => {
          pending = false;
        },
        () => {},
      );
    };
    worker.on('builds-may-start', tryBuild);
    provider.failNextStart();
    provider.failNextStart();
    tryBuild();
    await clock.advance(0);
    expect(provider.startCount).toBe(1);
    await clock.advance(9.9);
    expect(provider.startCount).toBe(1);
    await clock.advance(0.1);
    expect(provider.startCount).toBe(2);
    await clock.advance(10);
    expect(provider.startCount).toBe(2);
    await clock.advance(10);
    expect(provider.startCount).toBe(3);
    await worker.attached();
    await settle();
    expect(pending).toBe(false);
    await worker.shutdown();
  });

  it('L06 one worker used by two builders: both builds succeed on one instance', async () => {
    const { worker, provider } = workerFixture();
    const first = worker.substantiate(new Properties());
    const second = worker.substantiate(new Properties());
    await settle();
    await worker.attached();
    await Promise.all([first, second]);
    expect(provider.startCount).toBe(1);
    await worker.shutdown();
  });

  it('L07 an old connection dropping just before the new start completes does not break the next build', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 1 });
    const old = { peer: 'old' };
    const first = worker.substantiate();
    await settle();
    await worker.attached(old);
    await first;
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    await clock.advance(1);
    expect(worker.state).toBe(LatentWorkerState.NOT_SUBSTANTIATED);
    const held = provider.holdNextStart();
    const second = observe(worker.substantiate());
    await held.called;
    worker.detached(old);
    held.release();
    await settle();
    await worker.attached({ peer: 'new' });
    worker.detached(old); // a late duplicate close of the old connection is ignored
    await settle();
    expect(second.status).toBe('resolved');
    expect(worker.substantiated).toBe(true);
    await worker.shutdown();
  });

  it('L08 a build requested while stop_instance is pending starts after the stop, without spurious cancellation', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 1 });
    const connection = { peer: 'a' };
    const first = worker.substantiate();
    await settle();
    await worker.attached(connection);
    await first;
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    const stop = provider.holdNextStop();
    await clock.advance(1);
    expect(worker.state).toBe(LatentWorkerState.INSUBSTANTIATING);
    worker.detached(connection);
    const second = observe(worker.substantiate());
    expect(worker.state).toBe(LatentWorkerState.INSUBSTANTIATING_SUBSTANTIATING);
    stop.release();
    await settle();
    expect(provider.startCount).toBe(2);
    await worker.attached({ peer: 'b' });
    await settle();
    expect(second.status).toBe('resolved');
    await worker.shutdown();
  });

  it('L09 a build whose start is delayed until stop_instance is in progress succeeds after the stop', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 1 });
    provider.autoAttach(worker);
    await worker.substantiate();
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    const stop = provider.holdNextStop();
    await clock.advance(1);
    await stop.called;
    expect(worker.canStartBuild()).toBe(true);
    const build = observe(worker.substantiate());
    stop.release();
    await settle();
    expect(build.status).toBe('resolved');
    expect(provider.startCount).toBe(2);
    expect(provider.stopCount).toBe(1);
    await worker.shutdown();
  });

  it('L10 insubstantiate during substantiation: the build is RETRY, then the start resolves false and the stop completes', async () => {
    const { worker, provider } = workerFixture({}, { honourAbort: false });
    const held = provider.holdNextStart();
    const build = worker.substantiate();
    await held.called;
    const stopped = worker.insubstantiate();
    const error = await failure(build);
    expect(error).toBeInstanceOf(SubstantiationCancelledError);
    expect(buildResultForSubstantiationFailure(error)).toBe('RETRY');
    expect(held.signal?.aborted).toBe(true);
    held.refuse();
    await stopped;
    expect(provider.stops).toHaveLength(1);
    expect(provider.stops[0]?.instance).toBeUndefined();
    expect(worker.state).toBe(LatentWorkerState.NOT_SUBSTANTIATED);
  });

  it('L11 removing the worker while stop_instance is pending completes only after the stop', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 1 });
    provider.autoAttach(worker);
    await worker.substantiate();
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    const stop = provider.holdNextStop();
    await clock.advance(1);
    const shutdown = observe(worker.shutdown());
    await settle();
    expect(shutdown.status).toBe('pending');
    stop.release();
    await settle();
    expect(shutdown.status).toBe('resolved');
    expect(worker.state).toBe(LatentWorkerState.SHUT_DOWN);
  });

  describe('L12 removing the worker while start_instance is pending stops the instance right after the start', () => {
    it('L12 start succeeds, worker not connecting', async () => {
      const { worker, provider } = workerFixture({}, { honourAbort: false });
      const held = provider.holdNextStart();
      const build = observe(worker.substantiate());
      await held.called;
      const stop = provider.holdNextStop();
      const shutdown = observe(worker.shutdown());
      await settle();
      expect(provider.stopCount).toBe(0);
      held.release();
      await settle();
      expect(provider.stopCount).toBe(1);
      expect(provider.stops[0]?.instance?.id).toBe(provider.starts[0]?.instance?.id);
      expect(shutdown.status).toBe('pending');
      stop.release();
      await settle();
      expect(shutdown.status).toBe('resolved');
      expect(build.error).toBeInstanceOf(SubstantiationCancelledError);
      expect(provider.liveInstances).toHaveLength(0);
    });

    it('L12 start fails', async () => {
      const { worker, provider } = workerFixture({}, { honourAbort: false });
      const held = provider.holdNextStart();
      const build = observe(worker.substantiate());
      await held.called;
      const shutdown = observe(worker.shutdown());
      held.fail(new Error('boom'));
      await settle();
      expect(shutdown.status).toBe('resolved');
      expect(provider.stops).toHaveLength(1);
      expect(provider.stops[0]?.instance).toBeUndefined();
      expect(build.error).toBeInstanceOf(SubstantiationCancelledError);
    });

    it('L12 start succeeds and the worker tries to connect', async () => {
      const { worker, provider } = workerFixture({}, { honourAbort: false });
      const held = provider.holdNextStart();
      const build = observe(worker.substantiate());
      await held.called;
      const shutdown = observe(worker.shutdown());
      await expect(worker.attached()).rejects.toBeInstanceOf(ConnectionRejectedError);
      held.release();
      await settle();
      expect(provider.stopCount).toBe(1);
      expect(shutdown.status).toBe('resolved');
      expect(build.error).toBeInstanceOf(SubstantiationCancelledError);
    });
  });

  it('L13 stopping the build while the started instance never connected stops the instance', async () => {
    const { worker, provider } = workerFixture();
    const buildStop = new AbortController();
    const build = observe(worker.substantiate(undefined, { signal: buildStop.signal }));
    await settle();
    expect(provider.liveInstances).toHaveLength(1);
    const instance = provider.liveInstances[0];
    buildStop.abort(new Error('build stopped by user'));
    await worker.whenIdle();
    expect(build.status).toBe('rejected');
    expect(instance?.status).toBe('stopped');
    expect(provider.liveInstances).toHaveLength(0);
    expect(worker.isQuarantined).toBe(false);
  });

  describe('L14 reconfiguring a substantiating worker with an automatic password keeps the password', () => {
    for (const moment of ['before', 'after'] as const) {
      it(`L14 reconfigure ${moment} start_instance resolves, then a clean shutdown`, async () => {
        const { worker, provider, clock, logger } = workerFixture();
        const options = {
          name: 'bot1',
          masterId: 'master-1',
          masterFQDN: 'master.example.org',
          provider,
          clock,
          logger,
        };
        const held = provider.holdNextStart();
        const build = observe(worker.substantiate());
        await held.called;
        const password = worker.password;
        expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
        if (moment === 'before') worker.reconfigure(options);
        held.release();
        await settle();
        if (moment === 'after') worker.reconfigure(options);
        worker.reconfigure(options);
        expect(worker.password).toBe(password);
        expect(provider.starts[0]?.request.environment.WORKERPASS).toBe(password);
        await worker.attached();
        await settle();
        expect(build.status).toBe('resolved');
        await worker.shutdown();
        expect(provider.liveInstances).toHaveLength(0);
      });
    }

    it('L14 a reconfigure while nothing runs generates a new password', () => {
      const { worker, provider, clock } = workerFixture();
      const password = worker.password;
      worker.reconfigure({ name: 'bot1', masterId: 'master-1', provider, clock });
      expect(worker.password).not.toBe(password);
    });
  });

  it('L15 insubstantiate while a build waits for a stop: the waiting build is RETRY', async () => {
    const { worker, provider } = workerFixture();
    provider.autoAttach(worker);
    await worker.substantiate();
    const stop = provider.holdNextStop();
    const stopping = worker.insubstantiate();
    const build = worker.substantiate();
    expect(worker.state).toBe(LatentWorkerState.INSUBSTANTIATING_SUBSTANTIATING);
    const again = worker.insubstantiate();
    const error = await failure(build);
    expect(error).toBeInstanceOf(SubstantiationCancelledError);
    expect(buildResultForSubstantiationFailure(error)).toBe('RETRY');
    stop.release();
    await Promise.all([stopping, again]);
    expect(worker.state).toBe(LatentWorkerState.NOT_SUBSTANTIATED);
    expect(provider.startCount).toBe(1);
  });

  it('L16 a start that never completes times out after missingTimeout: request unclaimed, timeout logged', async () => {
    const { worker, provider, clock, logger } = workerFixture({ missingTimeout: 3600 });
    provider.holdNextStart();
    const build = observe(worker.substantiate());
    await clock.advance(3599);
    expect(build.status).toBe('pending');
    await clock.advance(1);
    expect(build.error).toBeInstanceOf(SubstantiationTimeoutError);
    expect(buildResultForSubstantiationFailure(build.error)).toBe('RETRY');
    expect(logger.messages('error').some((line) => line.includes('missingTimeout (3600s)'))).toBe(true);
    await worker.whenIdle();
    expect(provider.stopCount).toBe(1);
  });

  it('L17 a check good at t+10 then a crash fails the start at t+20 with FailedToSubstantiate', async () => {
    const { worker, provider, clock, logger } = workerFixture({ checkInstanceInterval: 10 });
    const build = observe(worker.substantiate());
    await settle();
    await clock.advance(10);
    expect(provider.checks).toBe(1);
    expect(build.status).toBe('pending');
    const instance = provider.liveInstances[0];
    if (instance) provider.crash(instance, 'exit code 1\nlast log line');
    await clock.advance(10);
    expect(build.error).toBeInstanceOf(WorkerCrashedError);
    expect(build.error).toBeInstanceOf(FailedToSubstantiateError);
    expect((build.error as Error).message).toBe(
      'bot1 latent worker crashed before connecting: exit code 1\nlast log line',
    );
    expect(logger.messages('error').some((line) => line.includes('crashed before connecting'))).toBe(true);
    await worker.whenIdle();
    expect(provider.liveInstances).toHaveLength(0);
  });

  it('L18 a connection severed before the ping: RETRY, quarantine 10 s, next build on a fresh instance', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 1 });
    const connection = { peer: 'a' };
    const first = worker.substantiate();
    await settle();
    await worker.attached(connection);
    await first;
    // The master's ping times out: the build is RETRY and the worker quarantined.
    worker.detached(connection);
    worker.putInQuarantine();
    expect(worker.canStartBuild()).toBe(false);
    await clock.advance(10);
    expect(worker.canStartBuild()).toBe(true);
    provider.autoAttach(worker);
    await worker.substantiate();
    expect(provider.startCount).toBe(2);
    expect(provider.stopCount).toBe(1);
    await worker.shutdown();
  });

  it('L19 a failing builder setup on attach: request unclaimed, error carries the message and type', async () => {
    const { worker, provider } = workerFixture();
    const build = observe(worker.substantiate());
    await settle();
    const attach = worker.attached('conn', {
      setup: async () => {
        throw new TypeError("can't create dir");
      },
    });
    await expect(attach).rejects.toBeInstanceOf(FailedToSubstantiateError);
    await settle();
    expect(build.error).toBeInstanceOf(FailedToSubstantiateError);
    expect((build.error as Error).message).toContain("can't create dir");
    expect((build.error as Error).message).toContain('TypeError');
    expect(buildResultForSubstantiationFailure(build.error)).toBe('RETRY');
    expect(worker.isQuarantined).toBe(true);
    await worker.whenIdle();
    expect(provider.liveInstances).toHaveLength(0);
  });

  it('L20 a failing ping: the master quarantines and stops the worker; the build is RETRY', async () => {
    const { worker, provider } = workerFixture();
    provider.autoAttach(worker);
    await worker.substantiate();
    worker.putInQuarantine();
    await worker.insubstantiate();
    expect(worker.isQuarantined).toBe(true);
    expect(provider.liveInstances).toHaveLength(0);
  });

  it('L21 timeout 0: a disconnect mid-build gives RETRY and a new instance runs the retried build', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 0 });
    provider.autoAttach(worker);
    await worker.substantiate();
    worker.buildStarted();
    const [instance] = provider.liveInstances;
    worker.detached({ peer: instance?.name });
    worker.detached();
    expect(worker.canStartBuild()).toBe(false);
    worker.buildFinished({ result: 'RETRY' });
    await clock.advance(1);
    expect(instance?.status).toBe('stopped');
    await worker.substantiate();
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    expect(provider.startCount).toBe(2);
    await clock.advance(0);
    expect(provider.liveInstances).toHaveLength(0);
  });

  it('L22 timeout -1: a disconnect and reconnect keep the instance; only insubstantiate stops it', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: -1 });
    const first = worker.substantiate();
    await settle();
    await worker.attached('c1');
    await first;
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    await clock.advance(10_000);
    worker.detached();
    await worker.attached('c2');
    await worker.substantiate();
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    expect(provider.stopCount).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    await worker.insubstantiate();
    expect(provider.stopCount).toBe(1);
  });

  it('L23 timeout 0: a silently severed connection gives RETRY and a new request completes on a new instance', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 0 });
    provider.autoAttach(worker);
    await worker.substantiate();
    worker.buildStarted();
    worker.detached(); // TCP timeout noticed later
    worker.buildFinished({ result: 'RETRY' });
    const next = worker.substantiate();
    await clock.advance(0);
    await next;
    expect(provider.startCount).toBe(2);
    expect(provider.stopCount).toBe(1);
    await worker.shutdown();
  });

  it('L24 timeout 1: a connection severed during insubstantiation, then a new request succeeds', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 1 });
    provider.autoAttach(worker);
    await worker.substantiate();
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    const stop = provider.holdNextStop();
    await clock.advance(1);
    worker.detached();
    stop.release();
    await worker.whenIdle();
    expect(worker.state).toBe(LatentWorkerState.NOT_SUBSTANTIATED);
    await worker.substantiate();
    expect(provider.startCount).toBe(2);
    await worker.shutdown();
  });

  it('L25 a request created during the insubstantiation completes afterwards', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 1 });
    provider.autoAttach(worker);
    await worker.substantiate();
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    const stop = provider.holdNextStop();
    await clock.advance(1);
    const build = observe(worker.substantiate());
    worker.detached();
    stop.release();
    await worker.whenIdle();
    await settle();
    expect(build.status).toBe('resolved');
    await worker.shutdown();
  });

  it('L26 timeout -1: a reconnect during insubstantiation leaves the state stopping until the stop completes', async () => {
    const { worker, provider } = workerFixture({ buildWaitTimeout: -1 });
    const first = worker.substantiate();
    await settle();
    await worker.attached('c1');
    await first;
    const stop = provider.holdNextStop();
    const stopping = worker.insubstantiate();
    worker.detached();
    await worker.attached('c2');
    expect(worker.state).toBe(LatentWorkerState.INSUBSTANTIATING);
    stop.release();
    await stopping;
    expect(worker.state).toBe(LatentWorkerState.NOT_SUBSTANTIATED);
    await worker.substantiate();
    expect(worker.state).toBe(LatentWorkerState.SUBSTANTIATED);
    expect(provider.startCount).toBe(2);
    await worker.shutdown();
  });

  it('L27 timeout -1: a worker that never disconnects is substantiated right after start_instance', async () => {
    const { worker, provider, logger } = workerFixture({ buildWaitTimeout: -1 });
    const first = worker.substantiate();
    await settle();
    await worker.attached('c1');
    await first;
    await worker.insubstantiate();
    await worker.substantiate();
    expect(provider.startCount).toBe(2);
    expect(logger.messages()).toContain('Worker bot1 substantiated (already attached)');
    await worker.shutdown();
  });

  it('L28 timeout -1: master shutdown stops the instance and completes after the stop', async () => {
    const { worker, provider } = workerFixture({ buildWaitTimeout: -1 });
    provider.autoAttach(worker);
    await worker.substantiate();
    const stop = provider.holdNextStop();
    const shutdown = observe(worker.shutdown());
    await settle();
    expect(provider.stopCount).toBe(1);
    expect(shutdown.status).toBe('pending');
    stop.release();
    await settle();
    expect(shutdown.status).toBe('resolved');
  });

  it('L29 a stop_instance throwing synchronously is logged and a later build still succeeds', async () => {
    const { worker, provider, clock, logger } = workerFixture({ buildWaitTimeout: 0 });
    provider.autoAttach(worker);
    await worker.substantiate();
    worker.buildStarted();
    provider.failNextStop(new Error('stop exploded'), { synchronous: true });
    worker.buildFinished({ result: 'SUCCESS' });
    await clock.advance(0);
    expect(logger.messages('error')).toContain('while insubstantiating worker bot1: stop exploded');
    expect(worker.state).toBe(LatentWorkerState.NOT_SUBSTANTIATED);
    await worker.substantiate();
    expect(worker.substantiated).toBe(true);
    await worker.shutdown();
  });

  for (const stoppedBy of ['CANCELLED', 'RETRY'] as const) {
    const id = stoppedBy === 'CANCELLED' ? 'L30' : 'L31';
    it(`${id} a build stopped with ${stoppedBy} during substantiation ends ${stoppedBy}`, async () => {
      const { worker, provider } = workerFixture({}, { honourAbort: false });
      const held = provider.holdNextStart();
      const buildStop = new AbortController();
      const build = worker.substantiate(undefined, { signal: buildStop.signal });
      await held.called;
      buildStop.abort(new Error(`build stopped with ${stoppedBy}`));
      const error = await failure(build);
      held.refuse();
      await worker.whenIdle();
      expect(buildResultForSubstantiationFailure(error, { stoppedBy })).toBe(stoppedBy);
      expect(worker.isQuarantined).toBe(false);
      expect(provider.stopCount).toBe(1);
    });
  }

  it('L32 timeout 0: a queued build of another kind runs on a restarted instance of its kind', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 0 });
    provider.autoAttach(worker);
    await worker.substantiate(kind('a'));
    worker.buildStarted();
    expect(await worker.isCompatibleWithBuild(kind('b'))).toBe(false);
    expect(await worker.isCompatibleWithBuild(kind('a'))).toBe(true);
    worker.buildFinished({ result: 'SUCCESS' });
    await clock.advance(0);
    expect(await worker.isCompatibleWithBuild(kind('b'))).toBe(true);
    await worker.substantiate(kind('b'));
    expect(provider.liveInstances.map((instance) => instance.settings)).toEqual(['b']);
    await worker.shutdown();
  });

  it('L33 timeout 5: the build of another kind waits for the idle instance to time out, then runs on kind b', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 5 });
    provider.autoAttach(worker);
    await worker.substantiate(kind('a'));
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    await clock.advance(4);
    expect(await worker.isCompatibleWithBuild(kind('b'))).toBe(false);
    await clock.advance(1);
    expect(await worker.isCompatibleWithBuild(kind('b'))).toBe(true);
    await worker.substantiate(kind('b'));
    expect(provider.liveInstances.map((instance) => instance.settings)).toEqual(['b']);
    await worker.shutdown();
  });

  it('L34 substantiation without a build resolves and insubstantiate stops the instance', async () => {
    const { worker, provider } = workerFixture();
    provider.autoAttach(worker);
    await worker.substantiate();
    expect(provider.starts[0]?.request.properties.getProperty('workername')).toBe('bot1');
    await worker.insubstantiate();
    expect(provider.stopCount).toBe(1);
    expect(provider.liveInstances).toHaveLength(0);
  });

  it('L35 a worker substantiated without a build takes a later build and stops 1 s after it', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 1 });
    provider.autoAttach(worker);
    await worker.substantiate();
    await clock.advance(100);
    await worker.substantiate(new Properties());
    expect(provider.startCount).toBe(1);
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    await clock.advance(0.9);
    expect(provider.stopCount).toBe(0);
    await clock.advance(0.1);
    expect(provider.stopCount).toBe(1);
  });

  it('L36 reconfiguring buildWaitTimeout from 10 to 30 puts 30 in effect', async () => {
    const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 10 });
    worker.reconfigure({ name: 'bot1', masterId: 'master-1', provider, clock, buildWaitTimeout: 30 });
    expect(worker.timings.buildWaitTimeout).toBe(30);
    provider.autoAttach(worker);
    await worker.substantiate();
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    await clock.advance(29);
    expect(provider.stopCount).toBe(0);
    await clock.advance(1);
    expect(provider.stopCount).toBe(1);
  });
});
