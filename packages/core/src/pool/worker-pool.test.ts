import { afterEach, describe, expect, it } from 'vitest';
import {
  CannotSubstantiateError,
  ConfigurationError,
  SubstantiationTimeoutError,
  WorkerShutDownError,
} from '../errors.js';
import { observe } from '../lifecycle/fixture.test-support.js';
import { Properties } from '../renderables/index.js';
import { type ManualClock, manualClock, settle } from '../testing/manual-clock.js';
import { inMemoryBackend } from './fixture.test-support.js';
import type { WorkerPoolOptions } from './options.js';
import { WorkerPool } from './worker-pool.js';

const pools: WorkerPool[] = [];

function poolOf(options: WorkerPoolOptions<never> | WorkerPoolOptions): WorkerPool {
  const pool = new WorkerPool(options as WorkerPoolOptions);
  pools.push(pool);
  return pool;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

function kind(value: string): Properties {
  const properties = new Properties();
  properties.setProperty('worker_kind', value, 'Build');
  return properties;
}

async function fixture(options: Partial<WorkerPoolOptions> = {}) {
  const clock: ManualClock = manualClock();
  const backend = inMemoryBackend(clock);
  const pool = poolOf({ namePrefix: 'pool', idle: 2, max: 4, createWorker: backend.createWorker, clock, ...options });
  await settle(10);
  return { clock, backend, pool };
}

describe('WorkerPool: warm workers', () => {
  it('starts `idle` workers in the background, attached, named <prefix>-1 … with the pool passwords', async () => {
    const { backend, pool } = await fixture();
    expect(pool.workerNames).toEqual(['pool-1', 'pool-2', 'pool-3', 'pool-4']);
    expect(pool.stats()).toMatchObject({ idle: 2, starting: 0, leased: 0, total: 2, waiting: 0 });
    expect(backend.workers.map((worker) => worker.name)).toEqual(['pool-1', 'pool-2']);
    for (const worker of backend.workers) {
      expect(worker.substantiated).toBe(true);
      expect(worker.password).toBe(pool.passwordOf(worker.name));
    }
    expect(pool.passwordOf('pool-1')).not.toBe(pool.passwordOf('pool-2'));
    expect(pool.passwordOf('other-1')).toBeUndefined();
  });

  it('leases an idle worker at once, with the connection it attached with, and warms up a replacement', async () => {
    const { backend, pool } = await fixture();
    const startsBefore = backend.startCount;
    const lease = await pool.acquire();
    expect(backend.startCount).toBe(startsBefore);
    expect(lease.warm).toBe(true);
    expect(lease.worker.substantiated).toBe(true);
    expect(lease.connection).toEqual({ peer: expect.stringContaining(lease.name) });
    expect(lease.connection).toBe(lease.worker.connection);
    await settle(10);
    expect(pool.stats()).toMatchObject({ idle: 2, leased: 1, total: 3, leases: 1, warmLeases: 1 });
  });

  it('destroys a released worker by default (ephemeral) and keeps `idle` fresh ones ready', async () => {
    const { backend, pool } = await fixture();
    const lease = await pool.acquire();
    const instance = backend.liveInstances.find((each) => each.labels['io.latentci.worker'] === lease.name);
    await lease.release({ result: 'SUCCESS' });
    await settle(10);
    expect(instance?.status).toBe('stopped');
    expect(lease.released).toBe(true);
    expect(pool.stats()).toMatchObject({ idle: 2, leased: 0, stopping: 0, total: 2 });
    expect(backend.startCount).toBe(3);
    expect(backend.stopCount).toBe(1);
    // Releasing twice is one release.
    await lease.release();
    expect(backend.stopCount).toBe(1);
  });

  it('with reuse, puts a released worker back and shrinks to `idle` after maxIdleTime', async () => {
    const { clock, backend, pool } = await fixture({ reuse: true, maxIdleTime: 30 });
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    await settle(10);
    expect(pool.stats()).toMatchObject({ leased: 3, idle: 1, total: 4 });
    for (const lease of leases) await lease.release({ result: 'SUCCESS' });
    expect(pool.stats()).toMatchObject({ idle: 4, total: 4 });
    expect(backend.stopCount).toBe(0);
    await clock.advance(30);
    await settle(10);
    expect(pool.stats()).toMatchObject({ idle: 2, total: 2 });
    expect(backend.stopCount).toBe(2);
  });

  it('with reuse, still destroys a worker whose build ended with EXCEPTION', async () => {
    const { backend, pool } = await fixture({ reuse: true });
    const lease = await pool.acquire();
    await lease.release({ result: 'EXCEPTION' });
    expect(backend.stopCount).toBe(1);
  });
});

describe('WorkerPool: cold starts and waiting', () => {
  it('cold-starts a worker for a build whose settings differ from the warm ones', async () => {
    const { backend, pool } = await fixture();
    const lease = await pool.acquire({ properties: kind('gpu') });
    expect(lease.warm).toBe(false);
    const instance = backend.liveInstances.find((each) => each.labels['io.latentci.worker'] === lease.name);
    expect(instance?.settings).toBe('gpu');
    expect(pool.stats()).toMatchObject({ idle: 2, leased: 1 });
  });

  it('makes a FIFO wait at max and serves the waiters in order as leases end', async () => {
    const { pool } = await fixture({ idle: 1, max: 2 });
    const first = await pool.acquire();
    const second = await pool.acquire();
    const third = observe(pool.acquire());
    const fourth = observe(pool.acquire());
    await settle(10);
    expect(third.status).toBe('pending');
    expect(pool.stats()).toMatchObject({ waiting: 2, total: 2 });
    await first.release();
    await settle(10);
    expect(third.status).toBe('resolved');
    expect(fourth.status).toBe('pending');
    await second.release();
    await settle(10);
    expect(fourth.status).toBe('resolved');
  });

  it('costs one start per lease in a burst: a waiter served by a worker started for another takes over its start', async () => {
    const { backend, pool } = await fixture({ idle: 0, max: 4 });
    backend.holdNextStarts(2);
    const first = observe(pool.acquire());
    const second = observe(pool.acquire());
    await settle(10);
    expect(backend.startCount).toBe(2);
    // The start launched for the second waiter ends first: FIFO gives its worker to the first.
    backend.held[1]?.release();
    await settle(10);
    expect(first.status).toBe('resolved');
    expect(second.status).toBe('pending');
    expect(pool.stats()).toMatchObject({ starting: 1, leased: 1, waiting: 1 });
    backend.held[0]?.release();
    await settle(10);
    expect(second.status).toBe('resolved');
    expect(backend.startCount).toBe(2);
    expect(pool.stats()).toMatchObject({ total: 2, leased: 2, idle: 0 });
  });

  it('at max, evicts an idle worker no waiter can use to start one that can', async () => {
    const { backend, pool } = await fixture({ idle: 2, max: 2 });
    const lease = await pool.acquire({ properties: kind('arm') });
    expect(backend.stopCount).toBe(1);
    expect(lease.warm).toBe(false);
    const instance = backend.liveInstances.find((each) => each.labels['io.latentci.worker'] === lease.name);
    expect(instance?.settings).toBe('arm');
  });

  it('an aborted acquire rejects with the reason, and the worker started for it is not leaked', async () => {
    const { clock, backend, pool } = await fixture({ idle: 0, max: 2, maxIdleTime: 10 });
    backend.holdNextStarts(1);
    const controller = new AbortController();
    const acquiring = pool.acquire({ signal: controller.signal });
    await settle(10);
    expect(pool.stats()).toMatchObject({ waiting: 1, starting: 1 });
    controller.abort(new Error('build cancelled'));
    await expect(acquiring).rejects.toThrow('build cancelled');
    backend.held[0]?.release();
    await settle(10);
    expect(pool.stats()).toMatchObject({ waiting: 0, idle: 1, total: 1 });
    await clock.advance(10);
    await settle(10);
    expect(pool.stats().total).toBe(0);
    expect(backend.liveInstances).toHaveLength(0);
    expect(backend.stopCount).toBe(backend.startCount);
  });

  it('rejects a build whose own settings cannot start with CannotSubstantiateError, without quarantining', async () => {
    const clock = manualClock();
    const backend = inMemoryBackend(clock);
    const pool = poolOf({
      namePrefix: 'pool',
      idle: 0,
      max: 2,
      clock,
      createWorker: (name, context) => {
        const worker = backend.createWorker(name, context);
        const provider = backend.providers.at(-1);
        provider?.failNextStart(new CannotSubstantiateError('image missing:tag does not exist'));
        return worker;
      },
    });
    await expect(pool.acquire({ properties: kind('missing') })).rejects.toBeInstanceOf(CannotSubstantiateError);
    expect(pool.stats().backends[0]?.quarantined).toBe(false);
  });
});

describe('WorkerPool: failures', () => {
  it('quarantines a failing backend instead of hot-looping, and retries once the quarantine ends', async () => {
    const { clock, backend, pool } = await fixture({ idle: 1, max: 3 });
    const first = await pool.acquire();
    await settle(10);
    backend.breakDown();
    // The warm worker still serves; its replacement fails and the backend backs off.
    const second = await pool.acquire();
    expect(second.warm).toBe(true);
    await settle(20);
    expect(pool.stats()).toMatchObject({ idle: 0, failures: 1 });
    expect(pool.stats().backends[0]).toMatchObject({ quarantined: true, failures: 1 });
    const startsWhileQuarantined = backend.startCount;
    const third = observe(pool.acquire());
    await clock.advance(9);
    expect(backend.startCount).toBe(startsWhileQuarantined);
    expect(third.status).toBe('pending');
    backend.heal();
    await clock.advance(1);
    await settle(20);
    expect(third.status).toBe('resolved');
    expect(pool.stats()).toMatchObject({ leased: 3, failures: 1 });
    await first.release();
    await second.release();
  });

  it('a waiter on a backend that keeps failing gets SubstantiationTimeoutError after its own timeout, with the failure as cause', async () => {
    const { clock, backend, pool } = await fixture({ idle: 0, max: 2 });
    backend.breakDown();
    const waiting = observe(pool.acquire({ timeout: 25 }));
    await settle(20);
    await clock.advance(24);
    expect(waiting.status).toBe('pending');
    await clock.advance(1);
    expect(waiting.status).toBe('rejected');
    expect(waiting.error).toBeInstanceOf(SubstantiationTimeoutError);
    expect((waiting.error as Error).message).toMatch(
      /no worker of pool pool became ready within 25s; the last start failed/,
    );
    expect((waiting.error as Error).cause).toBeInstanceOf(Error);
    // Backoff, not a loop: starts at 0 and 10 s; the next one comes 20 s later.
    expect(backend.startCount).toBe(2);
    // Nobody waits any more and idle is 0: no start at all.
    await clock.advance(60);
    expect(backend.startCount).toBe(2);
  });

  it('an instance that crashes before attaching counts as a failed start', async () => {
    const clock = manualClock();
    const backend = inMemoryBackend(clock);
    backend.crashNextInstance();
    const pool = poolOf({ namePrefix: 'pool', idle: 1, max: 1, clock, createWorker: backend.createWorker });
    await settle(10);
    await clock.advance(1);
    await settle(10);
    expect(pool.stats()).toMatchObject({ failures: 1, idle: 0 });
    await clock.advance(10);
    await settle(10);
    expect(pool.stats()).toMatchObject({ failures: 1, idle: 1 });
  });
});

describe('WorkerPool: several backends', () => {
  it('fills backends in order of preference, spills over at capacity and skips a quarantined one', async () => {
    const clock = manualClock();
    const first = inMemoryBackend(clock);
    const second = inMemoryBackend(clock);
    const pool = poolOf({
      namePrefix: 'multi',
      idle: 2,
      max: 5,
      clock,
      backends: [
        { name: 'near', createWorker: first.createWorker, capacity: 3 },
        { name: 'far', createWorker: second.createWorker, capacity: 5 },
      ],
    });
    await settle(10);
    expect(first.liveInstances).toHaveLength(2);
    expect(second.liveInstances).toHaveLength(0);
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    await settle(10);
    expect(first.liveInstances).toHaveLength(3);
    expect(second.liveInstances).toHaveLength(2);
    expect(leases.map((lease) => lease.backend)).toEqual(['near', 'near', 'near']);
    leases.push(await pool.acquire(), await pool.acquire());
    expect(leases.map((lease) => lease.backend)).toEqual(['near', 'near', 'near', 'far', 'far']);

    first.breakDown();
    for (const lease of leases) await lease.release();
    await settle(20);
    expect(pool.stats().backends.map((backend) => [backend.name, backend.quarantined])).toEqual([
      ['near', true],
      ['far', false],
    ]);
    expect(first.liveInstances).toHaveLength(0);
    expect(pool.stats()).toMatchObject({ idle: 2 });
    const spilled = await pool.acquire();
    expect(spilled.backend).toBe('far');
  });
});

describe('WorkerPool: close', () => {
  it('close() stops every worker, the leased ones too, and rejects waiters and later acquires', async () => {
    const { backend, pool } = await fixture({ idle: 1, max: 1 });
    const lease = await pool.acquire();
    const waiting = pool.acquire();
    await pool.close();
    await expect(waiting).rejects.toBeInstanceOf(WorkerShutDownError);
    await expect(pool.acquire()).rejects.toBeInstanceOf(WorkerShutDownError);
    expect(backend.liveInstances).toHaveLength(0);
    expect(backend.stopCount).toBe(backend.startCount);
    expect(lease.worker.state).toBe('SHUT_DOWN');
    await lease.release();
    expect(pool.stats().total).toBe(0);
  });

  it('close({ drain: true }) waits for leases to end before stopping their workers', async () => {
    const { backend, pool } = await fixture({ idle: 1, max: 2 });
    const lease = await pool.acquire();
    await settle(10);
    const closing = observe(pool.close({ drain: true }));
    await settle(10);
    expect(closing.status).toBe('pending');
    expect(lease.worker.substantiated).toBe(true);
    expect(backend.liveInstances).toHaveLength(1);
    await lease.release();
    await settle(10);
    expect(closing.status).toBe('resolved');
    expect(backend.liveInstances).toHaveLength(0);
  });

  it('close() cancels starts in progress; nothing is left', async () => {
    const clock = manualClock();
    const backend = inMemoryBackend(clock);
    const pool = poolOf({ namePrefix: 'pool', idle: 3, max: 3, clock, createWorker: backend.createWorker });
    await pool.close();
    expect(backend.liveInstances).toHaveLength(0);
    expect(backend.stopCount).toBe(backend.startCount);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('WorkerPool: whenWarm', () => {
  it('resolves once `idle` workers are idle, rejects on abort and on close', async () => {
    const clock = manualClock();
    const backend = inMemoryBackend(clock);
    backend.holdNextStarts(1);
    const pool = poolOf({ namePrefix: 'w', idle: 2, max: 2, clock, createWorker: backend.createWorker });
    const warm = observe(pool.whenWarm());
    await settle(10);
    expect(pool.stats()).toMatchObject({ idle: 1, starting: 1 });
    expect(warm.status).toBe('pending');
    backend.held[0]?.release();
    await settle(10);
    expect(warm.status).toBe('resolved');
    await expect(pool.whenWarm()).resolves.toBeUndefined();

    await pool.acquire();
    const controller = new AbortController();
    const aborted = pool.whenWarm({ signal: controller.signal });
    controller.abort(new Error('no time'));
    await expect(aborted).rejects.toThrow('no time');
    const closing = pool.whenWarm();
    await pool.close();
    await expect(closing).rejects.toBeInstanceOf(WorkerShutDownError);
  });
});

describe('WorkerPool: events, stats and options', () => {
  it('reports readiness, leases, releases and stops as events, and time-to-lease in stats', async () => {
    const clock = manualClock();
    const backend = inMemoryBackend(clock);
    const pool = poolOf({ namePrefix: 'ev', idle: 1, max: 1, clock, createWorker: backend.createWorker });
    const events: string[] = [];
    for (const event of ['worker-ready', 'leased', 'released', 'worker-stopped', 'closed'] as const) {
      pool.on(event, (payload) => events.push(`${event} ${'name' in payload ? payload.name : ''}`.trim()));
    }
    await settle(10);
    const lease = await pool.acquire();
    await lease.release({ result: 'SUCCESS' });
    await settle(10);
    await pool.close();
    expect(events).toEqual([
      'worker-ready ev-1',
      'leased ev-1',
      'released ev-1',
      'worker-stopped ev-1',
      'worker-ready ev-1',
      'worker-stopped ev-1',
      'closed',
    ]);
    expect(pool.stats().timeToLease).toEqual({ count: 1, p50: 0, p95: 0 });
  });

  it('refuses invalid options with ConfigurationError naming the option', () => {
    const createWorker = inMemoryBackend(manualClock()).createWorker;
    expect(() => new WorkerPool({ namePrefix: 'p', max: 0, createWorker })).toThrow(/max must be an integer >= 1/);
    expect(() => new WorkerPool({ namePrefix: 'p', max: 1, idle: 2, createWorker })).toThrow(
      /idle \(2\) cannot exceed max/,
    );
    expect(() => new WorkerPool({ namePrefix: 'bad name', max: 1, createWorker })).toThrow(ConfigurationError);
    expect(() => new WorkerPool({ namePrefix: 'p', max: 1 })).toThrow(/either createWorker .* or backends/);
    expect(
      () =>
        new WorkerPool({
          namePrefix: 'p',
          max: 1,
          backends: [
            { name: 'a', createWorker },
            { name: 'a', createWorker },
          ],
        }),
    ).toThrow(/distinct names/);
  });

  it('a factory that names its worker differently is a configuration error, and backs the backend off', async () => {
    const clock = manualClock();
    const backend = inMemoryBackend(clock);
    const pool = poolOf({
      namePrefix: 'p',
      idle: 1,
      max: 1,
      clock,
      createWorker: (_name, context) => backend.createWorker('other', context),
    });
    const failures: Error[] = [];
    pool.on('start-failed', ({ error }) => failures.push(error));
    await settle(10);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(ConfigurationError);
    expect(failures[0]?.message).toMatch(/must create a worker named "p-1", got "other"/);
    expect(pool.stats().backends[0]?.quarantined).toBe(true);
  });
});
