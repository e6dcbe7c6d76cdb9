import { CannotSubstantiateError, LatentWorkerState } from '@latentci/core';
import { createInMemoryProvider, type InMemoryProvider } from '@latentci/core/testing';
import { createDockerProvider } from '@latentci/docker';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerConfig } from './config/worker-config.js';
import { EXIT_CODES } from './exit-codes.js';
import { simulateInMemoryWorkers } from './in-memory-workers.js';
import { listInstances, reapInstances } from './instances.js';
import type { TryEvent } from './try-events.js';
import { type TryWorkerOptions, tryWorker } from './try-worker.js';

const PASSWORD = 'in-memory-secret-password';
const providers: InMemoryProvider[] = [];

function setup(options: { simulate?: boolean; wrongPassword?: boolean } = {}) {
  const provider = createInMemoryProvider({ startupLogs: ['booting the in-memory instance'] });
  providers.push(provider);
  if (options.simulate ?? true) simulateInMemoryWorkers(provider, { wrongPassword: options.wrongPassword ?? false });
  const config: WorkerConfig = {
    provider,
    worker: { name: 'cli-test-worker', password: PASSWORD, masterId: 'cli-test-master', checkInstanceInterval: 0.05 },
  };
  const events: TryEvent[] = [];
  const run = (extra: TryWorkerOptions = {}) =>
    tryWorker(config, { master: '127.0.0.1:0', timeoutSeconds: 10, onEvent: (event) => events.push(event), ...extra });
  return { provider, config, events, run };
}

afterEach(async () => {
  for (const provider of providers.splice(0)) {
    await provider.reapOrphans({ masterId: 'cli-test-master' }, { signal: new AbortController().signal });
  }
});

describe('tryWorker on the in-memory reference provider', () => {
  it('reports a worker that logs in as attached (exit 0) and removes its instance', async () => {
    const { provider, events, run } = setup();
    const result = await run();
    expect(result).toMatchObject({
      outcome: 'attached',
      exitCode: EXIT_CODES.attached,
      reachedMaster: true,
      authenticated: true,
    });
    expect(result.instanceName).toMatch(/^buildbot-cli-test-worker-[0-9a-f]{6}$/);
    expect(provider.liveInstances).toEqual([]);
    const kinds = events.map((event) => event.event);
    expect(kinds[0]).toBe('start');
    expect(kinds).toContain('listening');
    expect(kinds.at(-1)).toBe('result');
    expect(events).toContainEqual(expect.objectContaining({ event: 'log', line: 'booting the in-memory instance' }));
    expect(events).toContainEqual(expect.objectContaining({ event: 'login', accepted: true }));
    expect(events).toContainEqual(expect.objectContaining({ event: 'state', to: LatentWorkerState.SUBSTANTIATED }));
  });

  it('a worker.masterProtocol buildbot-worker does not speak is a configuration error (exit 2), before anything starts', async () => {
    const { provider, config, events } = setup();
    const result = await tryWorker(
      { ...config, worker: { ...config.worker, masterProtocol: 'msgpack' } },
      { master: '127.0.0.1:0', timeoutSeconds: 10, onEvent: (event) => events.push(event) },
    );
    expect(result).toMatchObject({ outcome: 'configuration-error', exitCode: EXIT_CODES.configurationError });
    expect(result.summary).toBe(
      '"worker.masterProtocol" is "msgpack", which buildbot-worker does not speak (it would exit at start): use "pb" (the default) or "msgpack_experimental_v7"',
    );
    expect(provider.liveInstances).toEqual([]);
    expect(events.map((event) => event.event)).toEqual(['start', 'result']);
  });

  it('never reveals the worker password in its events', async () => {
    const { events, run } = setup();
    await run();
    expect(JSON.stringify(events)).not.toContain(PASSWORD);
  });

  it('reports a refused login as reached but not authenticated (exit 5)', async () => {
    const { provider, run } = setup({ wrongPassword: true });
    const result = await run();
    expect(result).toMatchObject({
      outcome: 'authentication-failed',
      exitCode: EXIT_CODES.authenticationFailed,
      reachedMaster: true,
      authenticated: false,
    });
    expect(result.summary).toContain('wrong password');
    expect(provider.liveInstances).toEqual([]);
  });

  it('reports an instance that dies before connecting as crashed (exit 3) with its last log lines', async () => {
    const { provider, run } = setup();
    provider.crashNextInstance('worker exited: cannot resolve master.invalid');
    const result = await run();
    expect(result).toMatchObject({ outcome: 'crashed', exitCode: EXIT_CODES.crashed, reachedMaster: false });
    expect(result.lastLogLines).toContain('worker exited: cannot resolve master.invalid');
    expect(provider.liveInstances).toEqual([]);
  });

  it('reports a worker that never connects as timed out (exit 4)', async () => {
    const { provider, run } = setup({ simulate: false });
    const result = await run({ timeoutSeconds: 0.5 });
    expect(result).toMatchObject({ outcome: 'timed-out', exitCode: EXIT_CODES.timedOut, reachedMaster: false });
    expect(result.summary).toMatch(/never connected to the master at 127\.0\.0\.1:\d+ within 0\.5s/);
    expect(provider.liveInstances).toEqual([]);
  });

  it('reports a start the backend cannot do as a backend error (exit 6)', async () => {
    const { run, provider } = setup();
    provider.failNextStart(new CannotSubstantiateError('image latentci-nope:1 does not exist'));
    const result = await run();
    expect(result).toMatchObject({ outcome: 'backend-error', exitCode: EXIT_CODES.backendError });
    expect(result.summary).toContain('latentci-nope:1');
  });

  it('stops waiting when interrupted (exit 130) and leaves nothing behind', async () => {
    const { provider, run } = setup();
    const held = provider.holdNextStart();
    const controller = new AbortController();
    void held.called.then(() => controller.abort(new Error('SIGINT')));
    const result = await run({ signal: controller.signal });
    expect(result).toMatchObject({ outcome: 'interrupted', exitCode: EXIT_CODES.interrupted });
    expect(provider.liveInstances).toEqual([]);
    expect(provider.callsInFlight).toBe(0);
  });

  it('leaves an attached instance running with keep, for ls and reap to find', async () => {
    const { provider, config, run } = setup();
    const result = await run({ keep: true });
    expect(result).toMatchObject({ outcome: 'attached', kept: true });
    expect(provider.liveInstances).toHaveLength(1);
    const listed = await listInstances({ config });
    expect(listed.instances).toEqual([
      expect.objectContaining({ name: result.instanceName, workerName: 'cli-test-worker' }),
    ]);
    const reaped = await reapInstances({ config });
    expect(reaped.removed).toHaveLength(1);
    expect(provider.liveInstances).toEqual([]);
  });

  it('with observe, counts a TCP connection as reaching the master without checking credentials', async () => {
    const { run } = setup();
    const result = await run({ master: undefined, observe: '127.0.0.1:0' });
    expect(result).toMatchObject({ outcome: 'reached', exitCode: 0, reachedMaster: true, authenticated: null });
  });

  it('reports a master address it cannot listen on as a configuration error (exit 2)', async () => {
    const { run } = setup();
    const result = await run({ master: '192.0.2.1:0' });
    expect(result).toMatchObject({ outcome: 'configuration-error', exitCode: EXIT_CODES.configurationError });
    expect(result.summary).toContain('cannot listen on 192.0.2.1');
  });

  it('reports a provider object that is not a v1 provider as a configuration error (exit 2)', async () => {
    const result = await tryWorker(
      { provider: { specificationVersion: 'v0' } as never, worker: { name: 'w' } },
      { master: '127.0.0.1:0' },
    );
    expect(result).toMatchObject({ outcome: 'configuration-error', exitCode: 2 });
  });
});

describe('defect 2 (#23): --timeout beyond 2^31 − 1 ms', () => {
  it('--timeout 2147484 waits instead of reporting TIMED OUT at once, and warns of no timer overflow', async () => {
    const { run } = setup({ simulate: false });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 800);
    try {
      const result = await run({ timeoutSeconds: 2_147_484, signal: interrupt.signal });
      expect(result.outcome).toBe('interrupted');
      expect(result.elapsedSeconds).toBeGreaterThanOrEqual(0.7);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });
});

describe('defect 5 (#23): a password the redactor could not hide is refused, never printed', () => {
  it('a password shorter than 4 characters, or with a line break, is a configuration error (exit 2) and appears in no event', async () => {
    for (const password of ['q7z', 'first-line-secret\nsecond-line-secret']) {
      const { provider, config, events } = setup();
      const result = await tryWorker(
        { ...config, worker: { ...config.worker, password } },
        { master: '127.0.0.1:0', timeoutSeconds: 10, onEvent: (event) => events.push(event) },
      );
      expect(result).toMatchObject({ outcome: 'configuration-error', exitCode: EXIT_CODES.configurationError });
      expect(result.summary).toMatch(/password must (have at least 4 characters|not contain line breaks)/);
      const printed = JSON.stringify(events);
      for (const part of password.split('\n')) expect(printed).not.toContain(part);
      expect(provider.liveInstances).toEqual([]);
    }
  });
});

describe('defect 4 (#23): a settings error met at start is a configuration error (exit 2), not a backend error', () => {
  it('a worker name Docker cannot use as a container name: exit 2, "fix the setting", no backend hint', async () => {
    const result = await tryWorker(
      {
        provider: createDockerProvider({ image: 'busybox:latest', dockerHost: 'unix:///nonexistent/latentci.sock' }),
        worker: { name: 'bad name', password: PASSWORD, masterId: 'cli-test-master' },
      },
      { master: '127.0.0.1:0', timeoutSeconds: 10 },
    );
    expect(result.outcome).toBe('configuration-error');
    expect(result.exitCode).toBe(EXIT_CODES.configurationError);
    expect(result.summary).toMatch(/cannot name a Docker container/);
    expect(result.hints.join('\n')).not.toMatch(/backend is reachable/);
  });
});

describe('defect 10 (#23): try does not silently remove an instance it did not start', () => {
  it('refuses while an instance of the same worker and master id exists, and removes it with --replace', async () => {
    const { provider, run } = setup();
    const kept = await run({ keep: true });
    expect(kept.outcome).toBe('attached');
    expect(provider.liveInstances).toHaveLength(1);
    const refused = await run();
    expect(refused.outcome).toBe('configuration-error');
    expect(refused.exitCode).toBe(EXIT_CODES.configurationError);
    expect(refused.summary).toMatch(/already exists .*pass --replace/);
    expect(provider.liveInstances).toHaveLength(1);
    const replaced = await run({ replace: true });
    expect(replaced.outcome).toBe('attached');
    expect(provider.liveInstances).toEqual([]);
  });
});
