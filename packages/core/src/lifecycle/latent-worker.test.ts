import { describe, expect, it } from 'vitest';
import { OWNER_LABELS, type ProviderV1 } from '../contract/provider.js';
import {
  ConfigurationError,
  FailedToSubstantiateError,
  SubstantiationCancelledError,
  UnsupportedSpecificationVersionError,
  WorkerShutDownError,
} from '../errors.js';
import { Properties } from '../renderables/index.js';
import { REDACTED } from '../secrets/redactor.js';
import { InMemoryProvider } from '../testing/in-memory-provider.js';
import { manualClock, settle } from '../testing/manual-clock.js';
import { masterHash, resolveDefaultMasterHost } from '../worker/index.js';
import { ConnectionRejectedError } from './connection-rejected-error.js';
import type { LatentWorkerEvents } from './events.js';
import { observe, workerFixture } from './fixture.test-support.js';
import { LatentWorker } from './latent-worker.js';
import { LatentWorkerState } from './state.js';

describe('LatentWorker', () => {
  describe('states', () => {
    it('goes through every state of a full cycle and ends SHUT_DOWN', async () => {
      const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 0 });
      const seen: string[] = [];
      worker.on('state', ({ from, to }) => seen.push(`${from}>${to}`));
      provider.autoAttach(worker);
      await worker.substantiate();
      worker.buildStarted();
      const stop = provider.holdNextStop();
      worker.buildFinished({ result: 'SUCCESS' });
      await clock.advance(0);
      const queued = worker.substantiate();
      stop.release();
      await queued;
      await worker.shutdown();
      expect(seen).toEqual([
        'NOT_SUBSTANTIATED>SUBSTANTIATING',
        'SUBSTANTIATING>SUBSTANTIATING_STARTING',
        'SUBSTANTIATING_STARTING>SUBSTANTIATED',
        'SUBSTANTIATED>INSUBSTANTIATING',
        'INSUBSTANTIATING>INSUBSTANTIATING_SUBSTANTIATING',
        'INSUBSTANTIATING_SUBSTANTIATING>SUBSTANTIATING',
        'SUBSTANTIATING>SUBSTANTIATING_STARTING',
        'SUBSTANTIATING_STARTING>SUBSTANTIATED',
        'SUBSTANTIATED>INSUBSTANTIATING',
        'INSUBSTANTIATING>NOT_SUBSTANTIATED',
        'NOT_SUBSTANTIATED>SHUT_DOWN',
      ]);
    });

    it('accepts an attach that arrives before startInstance returns', async () => {
      const { worker, provider } = workerFixture();
      provider.autoAttach(worker, { when: 'during-start' });
      await worker.substantiate();
      expect(worker.substantiated).toBe(true);
      await worker.shutdown();
    });

    it('a cancelled substantiation that never called startInstance stops nothing', async () => {
      const { worker, provider } = workerFixture();
      const build = observe(worker.substantiate());
      expect(worker.state).toBe(LatentWorkerState.SUBSTANTIATING);
      await worker.insubstantiate();
      await worker.whenIdle();
      expect(build.error).toBeInstanceOf(SubstantiationCancelledError);
      expect(provider.startCount).toBe(0);
      expect(provider.stopCount).toBe(0);
    });

    it('a stop that outlives stopTimeout is aborted, logged, and the worker moves on', async () => {
      const { worker, provider, clock, logger } = workerFixture({ buildWaitTimeout: 0, stopTimeout: 30 });
      provider.autoAttach(worker);
      await worker.substantiate();
      const stop = provider.holdNextStop();
      const stopping = worker.insubstantiate();
      await stop.called;
      // A backend that never answers: the stop only ends when its signal aborts.
      stop.signal?.addEventListener('abort', () => stop.fail(stop.signal?.reason as Error));
      await clock.advance(29);
      expect(worker.state).toBe(LatentWorkerState.INSUBSTANTIATING);
      await clock.advance(1);
      await stopping;
      expect(worker.state).toBe(LatentWorkerState.NOT_SUBSTANTIATED);
      expect(logger.messages().some((line) => line.includes('took longer than stopTimeout (30s)'))).toBe(true);
      await worker.shutdown();
    });

    it('a stop during a start aborts the start and stops without an instance', async () => {
      const { worker, provider } = workerFixture();
      const held = provider.holdNextStart();
      const build = observe(worker.substantiate());
      await held.called;
      await worker.insubstantiate({ fast: true });
      expect(held.signal?.aborted).toBe(true);
      expect(provider.starts[0]?.outcome).toBe('aborted');
      expect(provider.stops).toHaveLength(1);
      expect(provider.stops[0]?.instance).toBeUndefined();
      expect(build.error).toBeInstanceOf(SubstantiationCancelledError);
    });

    it('a waiter giving up does not cancel the start while others still wait', async () => {
      const { worker, provider } = workerFixture();
      const gaveUp = new AbortController();
      const first = observe(worker.substantiate(undefined, { signal: gaveUp.signal }));
      const second = worker.substantiate();
      gaveUp.abort(new Error('not interested'));
      await settle();
      expect(first.status).toBe('rejected');
      await worker.attached();
      await second;
      expect(provider.stopCount).toBe(0);
      await worker.shutdown();
    });
  });

  describe('the start request', () => {
    it('is built by the core: environment, instance name, owner labels and properties', async () => {
      const { worker, provider } = workerFixture({
        masterFQDN: 'ci.example.org:19989',
        masterProtocol: 'msgpack_experimental_v7',
        password: 'hunter2-secret',
        properties: { team: 'infra' },
      });
      provider.autoAttach(worker);
      const properties = new Properties();
      properties.setProperty('branch', 'main', 'Build');
      await worker.substantiate(properties);
      const request = provider.starts[0]?.request;
      const hash = masterHash('master-1');
      expect(request?.instanceName).toBe(`buildbot-bot1-${hash}`);
      expect(request?.owner).toEqual({ masterId: 'master-1', masterHash: hash, workerName: 'bot1' });
      expect(request?.labels).toEqual({
        [OWNER_LABELS.managed]: 'true',
        [OWNER_LABELS.master]: 'master-1',
        [OWNER_LABELS.worker]: 'bot1',
      });
      expect(request?.environment).toMatchObject({
        BUILDMASTER: 'ci.example.org',
        BUILDMASTER_PORT: '19989',
        BUILDMASTER_PROTOCOL: 'msgpack_experimental_v7',
        WORKERNAME: 'bot1',
        WORKERPASS: 'hunter2-secret',
      });
      expect(request?.password).toBe('hunter2-secret');
      expect(request?.properties.getProperty('branch')).toBe('main');
      expect(request?.properties.getProperty('workername')).toBe('bot1');
      expect(request?.properties.getProperty('team')).toBe('infra');
      await worker.shutdown();
    });

    it('defaults the master host to the machine FQDN and the port to 9989', async () => {
      const { worker, provider } = workerFixture({ masterFQDN: undefined });
      provider.autoAttach(worker);
      await worker.substantiate();
      const environment = provider.starts[0]?.request.environment;
      expect(environment?.BUILDMASTER).toBe(await resolveDefaultMasterHost());
      expect(environment?.BUILDMASTER_PORT).toBe('9989');
      expect(environment?.BUILDMASTER_PROTOCOL).toBe('pb');
      await worker.shutdown();
    });

    it('forwards instance log lines and progress as events', async () => {
      const { worker, provider } = workerFixture({}, { startupLogs: ['booting', 'ready'] });
      const lines: LatentWorkerEvents['log'][] = [];
      const progress: LatentWorkerEvents['progress'][] = [];
      worker.on('log', (line) => lines.push(line));
      worker.on('progress', (update) => progress.push(update));
      provider.autoAttach(worker);
      await worker.substantiate();
      expect(lines).toEqual([
        { line: 'booting', stream: 'stdout' },
        { line: 'ready', stream: 'stdout' },
      ]);
      expect(progress).toHaveLength(1);
      await worker.shutdown();
    });
  });

  describe('secrets', () => {
    it('redacts the password from log lines, events and error messages', async () => {
      const password = 'pa55word-xyz';
      const { worker, provider, logger } = workerFixture({ password }, { startupLogs: [`WORKERPASS=${password}`] });
      const events: unknown[] = [];
      worker.on('log', (event) => events.push(event));
      worker.on('substantiation-failed', (event) => events.push(event.error.message));
      provider.failNextStart(new Error(`cannot start with ${password}`));
      const held = provider.holdNextStart();
      const error = observe(worker.substantiate());
      await worker.whenIdle();
      expect((error.error as Error).message).not.toContain(password);
      expect((error.error as Error).message).toContain(REDACTED);
      worker.stopQuarantineTimer();
      const second = worker.substantiate();
      held.release();
      await settle();
      await worker.attached();
      await second;
      await worker.shutdown();
      const everything = JSON.stringify([logger.records, events]);
      expect(everything).not.toContain(password);
      expect(everything).toContain(REDACTED);
    });
  });

  describe('attached()', () => {
    it("rejects a connection while not starting, with Buildbot's message", async () => {
      const { worker, logger } = workerFixture();
      const message = 'Worker bot1 received connection while not trying to substantiate.Disconnecting.';
      await expect(worker.attached()).rejects.toThrow(message);
      await expect(worker.attached()).rejects.toBeInstanceOf(ConnectionRejectedError);
      expect(logger.messages('warn')).toContain(message);
      expect(worker.state).toBe(LatentWorkerState.NOT_SUBSTANTIATED);
    });

    it('rejects a second simultaneous connection', async () => {
      const { worker } = workerFixture({ buildWaitTimeout: -1 });
      const build = worker.substantiate();
      await settle();
      await worker.attached({ peer: '10.0.0.1:4000' });
      await build;
      await expect(worker.attached({ peer: '10.0.0.2:4000' })).rejects.toThrow(
        'bot1: 10.0.0.2:4000 connecting, but we are already connected to: 10.0.0.1:4000',
      );
      await worker.shutdown();
    });
  });

  describe('timers', () => {
    it('does not arm the build-wait timer at substantiation (Buildbot #5988)', async () => {
      const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 5, missingTimeout: 0 });
      provider.autoAttach(worker);
      await worker.substantiate();
      expect(clock.pendingTimers).toBe(0);
      await clock.advance(100);
      expect(provider.stopCount).toBe(0);
      await worker.shutdown();
    });

    it('missingTimeout 0 disables the substantiation timeout', async () => {
      const { worker, provider, clock } = workerFixture({ missingTimeout: 0 });
      provider.holdNextStart();
      const build = observe(worker.substantiate());
      await clock.advance(100_000);
      expect(build.status).toBe('pending');
      await worker.shutdown();
      expect(build.error).toBeInstanceOf(SubstantiationCancelledError);
    });

    it('with buildWaitTimeout 0 and two busy builds the instance stays until both finish', async () => {
      const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 0, maxBuilds: 2 });
      provider.autoAttach(worker);
      await worker.substantiate();
      worker.buildStarted();
      worker.buildStarted();
      expect(worker.canStartBuild()).toBe(false);
      worker.buildFinished({ result: 'SUCCESS' });
      expect(worker.canStartBuild()).toBe(true);
      await clock.advance(1);
      expect(provider.stopCount).toBe(0);
      worker.buildFinished({ result: 'SUCCESS' });
      await clock.advance(0);
      expect(provider.stopCount).toBe(1);
    });

    it('shutdown leaves no timer, no instance and no waiter behind', async () => {
      const { worker, provider, clock } = workerFixture({ buildWaitTimeout: 30 });
      provider.autoAttach(worker);
      await worker.substantiate();
      worker.buildStarted();
      worker.buildFinished({ result: 'EXCEPTION' });
      expect(clock.pendingTimers).toBeGreaterThan(0);
      await worker.shutdown();
      await worker.shutdown();
      expect(clock.pendingTimers).toBe(0);
      expect(provider.liveInstances).toHaveLength(0);
      expect(worker.state).toBe(LatentWorkerState.SHUT_DOWN);
    });

    it('passes fast to stopInstance', async () => {
      const seen: boolean[] = [];
      const provider = new InMemoryProvider();
      const original = provider.stopInstance.bind(provider);
      provider.stopInstance = (target, options) => {
        seen.push(options.fast);
        return original(target, options);
      };
      const worker = new LatentWorker({ name: 'w', masterId: 'm', masterFQDN: 'h', provider, clock: manualClock() });
      provider.autoAttach(worker);
      await worker.substantiate();
      await worker.insubstantiate({ fast: true });
      expect(seen).toEqual([true]);
    });
  });

  describe('substantiation results', () => {
    it('emits succeeded and failed events; a failure says whether the worker is quarantined', async () => {
      const { worker, provider } = workerFixture();
      const outcomes: string[] = [];
      worker.on('substantiation-succeeded', () => outcomes.push('succeeded'));
      worker.on('substantiation-failed', ({ error }) => outcomes.push(`failed ${error.name}`));
      provider.failNextStart();
      const error = await worker.substantiate().catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(FailedToSubstantiateError);
      expect((error as FailedToSubstantiateError).quarantined).toBe(true);
      worker.stopQuarantineTimer();
      provider.autoAttach(worker);
      await worker.substantiate();
      expect(outcomes).toEqual(['failed FailedToSubstantiateError', 'succeeded']);
      await worker.shutdown();
    });

    it('refuses to substantiate or reconfigure once shut down', async () => {
      const { worker, provider, clock } = workerFixture();
      await worker.shutdown();
      await expect(worker.substantiate()).rejects.toBeInstanceOf(WorkerShutDownError);
      expect(() => worker.reconfigure({ name: 'bot1', masterId: 'master-1', provider, clock })).toThrow(
        WorkerShutDownError,
      );
      expect(worker.canStartBuild()).toBe(false);
    });

    it('shuts down when its construction signal aborts', async () => {
      const controller = new AbortController();
      const { worker, provider } = workerFixture({ signal: controller.signal });
      provider.autoAttach(worker);
      await worker.substantiate();
      controller.abort();
      await settle();
      expect(worker.state).toBe(LatentWorkerState.SHUT_DOWN);
      expect(provider.liveInstances).toHaveLength(0);
    });

    it('answers compatible when no instance runs', async () => {
      const { worker } = workerFixture();
      expect(await worker.isCompatibleWithBuild(new Properties())).toBe(true);
    });
  });

  describe('logs', () => {
    it("writes Buildbot's lifecycle messages", async () => {
      const { worker, provider, logger } = workerFixture({}, { honourAbort: false });
      const held = provider.holdNextStart();
      const build = observe(worker.substantiate());
      await held.called;
      const stopping = worker.insubstantiate();
      held.release();
      await stopping;
      expect(build.error).toBeInstanceOf(SubstantiationCancelledError);
      provider.autoAttach(worker);
      await worker.substantiate();
      await worker.shutdown();
      expect(logger.messages()).toEqual(
        expect.arrayContaining([
          'substantiating worker bot1',
          'insubstantiating worker bot1',
          'while insubstantiating worker bot1: waiting until previous start_instance/stop_instance finishes',
          'Firing bot1 substantiation deferred with failure',
          'Worker bot1 substantiated \\o/',
          'Firing bot1 substantiation deferred with success',
        ]),
      );
    });
  });

  describe('reconfiguration', () => {
    it('stops a running instance with the provider that started it', async () => {
      const { worker, provider, clock } = workerFixture();
      provider.autoAttach(worker);
      await worker.substantiate();
      const replacement = new InMemoryProvider();
      worker.reconfigure({ name: 'bot1', masterId: 'master-1', masterFQDN: 'h', provider: replacement, clock });
      await worker.insubstantiate();
      expect(provider.stopCount).toBe(1);
      expect(replacement.stopCount).toBe(0);
      replacement.autoAttach(worker);
      await worker.substantiate();
      expect(replacement.startCount).toBe(1);
      await worker.shutdown();
    });
  });

  describe('negative buildWaitTimeout', () => {
    it('takes a connection that arrives before startInstance is called and starts nothing', async () => {
      const { worker, provider } = workerFixture({ buildWaitTimeout: -1 });
      const build = worker.substantiate();
      expect(worker.state).toBe(LatentWorkerState.SUBSTANTIATING);
      await worker.attached('early');
      await build;
      await worker.whenIdle();
      expect(worker.state).toBe(LatentWorkerState.SUBSTANTIATED);
      expect(provider.startCount).toBe(0);
      await worker.shutdown();
      expect(provider.stopCount).toBe(0);
    });
  });

  describe('configuration', () => {
    const provider = new InMemoryProvider();
    const base = { name: 'w', masterId: 'm', masterFQDN: 'h', provider };
    it.each([
      [{ name: '' }, 'name must be a non-empty string'],
      [{ masterId: '' }, 'masterId must be a non-empty string'],
      [{ missingTimeout: -1 }, 'missingTimeout must be 0 (disabled) or a positive number'],
      [{ checkInstanceInterval: 0 }, 'checkInstanceInterval must be a positive number'],
      [{ buildWaitTimeout: Number.NaN }, 'buildWaitTimeout must be a finite number'],
      [{ maxBuilds: 0 }, 'maxBuilds must be a positive integer'],
      [{ masterPort: 70000 }, 'masterPort must be an integer between 1 and 65535'],
    ])('rejects %o with a ConfigurationError', (override, message) => {
      expect(() => new LatentWorker({ ...base, ...override })).toThrow(ConfigurationError);
      expect(() => new LatentWorker({ ...base, ...override })).toThrow(message);
    });

    it('rejects a provider of an unknown contract version', () => {
      const future = { ...provider, specificationVersion: 'v2' } as unknown as ProviderV1;
      expect(() => new LatentWorker({ ...base, provider: future })).toThrow(UnsupportedSpecificationVersionError);
    });

    it('uses Buildbot defaults: buildWaitTimeout 600, missingTimeout 3600, checkInstanceInterval 10 (and stopTimeout 600)', () => {
      const worker = new LatentWorker(base);
      expect(worker.timings).toEqual({
        buildWaitTimeout: 600,
        missingTimeout: 3600,
        checkInstanceInterval: 10,
        stopTimeout: 600,
        maxBuilds: undefined,
        masterPort: 9989,
        masterProtocol: 'pb',
      });
    });

    it('refuses to rename a worker by reconfiguring', () => {
      const worker = new LatentWorker(base);
      expect(() => worker.reconfigure({ ...base, name: 'other' })).toThrow('cannot rename worker w to other');
    });
  });
});
