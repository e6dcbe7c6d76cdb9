import { createInMemoryProvider, type InMemoryProvider } from '@latentci/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from './cli-errors.js';
import type { WorkerConfig } from './config/worker-config.js';
import { EXIT_CODES } from './exit-codes.js';
import { simulateInMemoryWorkers } from './in-memory-workers.js';
import type { PoolEvent } from './pool-events.js';
import { type PoolWorkersOptions, poolWorkers } from './pool-workers.js';

const PASSWORD = 'pool-in-memory-secret-password';
const MASTER_ID = 'cli-pool-test-master';
const providers: InMemoryProvider[] = [];

function setup() {
  const provider = createInMemoryProvider();
  providers.push(provider);
  simulateInMemoryWorkers(provider);
  const config: WorkerConfig = {
    provider,
    worker: { name: 'pooled', password: PASSWORD, masterId: MASTER_ID, checkInstanceInterval: 0.05 },
  };
  const events: PoolEvent[] = [];
  const run = (options: PoolWorkersOptions) =>
    poolWorkers(config, {
      master: '127.0.0.1:0',
      timeoutSeconds: 10,
      statsIntervalMs: 100,
      onEvent: (event) => events.push(event),
      ...options,
    });
  return { provider, config, events, run };
}

/** Resolves once `events` holds one matching `predicate`. */
async function until(events: readonly PoolEvent[], predicate: (event: PoolEvent) => boolean): Promise<void> {
  while (!events.some(predicate)) await new Promise((resolve) => setTimeout(resolve, 10));
}

afterEach(async () => {
  for (const provider of providers.splice(0)) {
    await provider.reapOrphans({ masterId: MASTER_ID }, { signal: new AbortController().signal });
  }
});

describe('poolWorkers on the in-memory reference provider', () => {
  it('keeps idle workers warm under load, reports stats snapshots, and leaves no instance once the duration is over', async () => {
    const { provider, events, run } = setup();
    const result = await run({
      idle: 1,
      max: 2,
      durationSeconds: 1.5,
      load: { kind: 'clients', clients: 1, holdMs: 50 },
    });
    expect(result).toMatchObject({ outcome: 'completed', exitCode: EXIT_CODES.attached });
    expect(result.stats).toMatchObject({ total: 0, idle: 0, leased: 0, waiting: 0, failures: 0 });
    expect(result.stats.leases).toBeGreaterThan(1);
    // A worker warmed up while the previous lease was held: most leases find it idle.
    expect(result.stats.warmLeases).toBeGreaterThan(0);
    expect(provider.liveInstances).toEqual([]);
    expect(provider.startCount).toBe(provider.stopCount);
    expect(events[0]).toMatchObject({ event: 'start', workers: ['pooled-1', 'pooled-2'], idle: 1, max: 2 });
    expect(events.filter((event) => event.event === 'stats').length).toBeGreaterThan(3);
    const stats = events.filter((event) => event.event === 'stats');
    for (const snapshot of stats) expect(snapshot.total).toBeLessThanOrEqual(2);
    expect(events.map((event) => event.event)).toContain('worker-ready');
    expect(events).toContainEqual({ event: 'closing', reason: 'duration' });
    expect(events.at(-1)).toMatchObject({ event: 'result', outcome: 'completed' });
    expect(JSON.stringify(events)).not.toContain(PASSWORD);
  });

  it('without load keeps exactly idle workers attached', async () => {
    const { provider, events, run } = setup();
    const controller = new AbortController();
    const running = run({ idle: 2, max: 3, signal: controller.signal });
    await until(events, (event) => event.event === 'stats' && event.idle === 2);
    expect(provider.liveInstances).toHaveLength(2);
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ outcome: 'interrupted', exitCode: EXIT_CODES.interrupted, workersReady: 2 });
    expect(result.stats.leases).toBe(0);
    expect(provider.liveInstances).toEqual([]);
  });

  it('an interrupt drains the pool: leases held by the simulated builds end, every worker stops, exit 130', async () => {
    const { provider, events, run } = setup();
    const controller = new AbortController();
    const running = run({
      idle: 1,
      max: 2,
      signal: controller.signal,
      load: { kind: 'interval', everyMs: 20, holdMs: 5000 },
    });
    await until(events, (event) => event.event === 'stats' && event.leased === 2 && event.waiting > 0);
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ outcome: 'interrupted', exitCode: EXIT_CODES.interrupted });
    expect(events).toContainEqual({ event: 'closing', reason: 'interrupted' });
    expect(provider.liveInstances).toEqual([]);
  });

  it('a second interrupt abandons a cleanup the backend does not finish, naming the workers and the reap command', async () => {
    const { provider, events, run } = setup();
    const controller = new AbortController();
    const abandon = new AbortController();
    const running = run({ idle: 1, max: 1, signal: controller.signal, abandon: abandon.signal });
    await until(events, (event) => event.event === 'worker-ready');
    const stop = provider.holdNextStop();
    controller.abort();
    await until(events, (event) => event.event === 'closing');
    abandon.abort();
    const result = await running;
    expect(result.outcome).toBe('interrupted');
    expect(result.leftBehind).toEqual({
      why: 'the cleanup was abandoned (second interrupt)',
      what: `the instances of workers "pooled-1" (master id "${MASTER_ID}")`,
      reap: `latentci reap <config> --master-id ${MASTER_ID}`,
    });
    expect(events).toContainEqual(expect.objectContaining({ event: 'abandoned', reap: result.leftBehind?.reap }));
    stop.release();
  });

  it('reports a backend whose starts fail as no worker ready (exit 6), with the failure', async () => {
    const { provider, events, run } = setup();
    provider.failNextStart(
      Object.assign(new Error('in-memory backend is out of capacity'), { code: 'CANNOT_SUBSTANTIATE' }),
    );
    const result = await run({ idle: 1, max: 1, durationSeconds: 0.5 });
    expect(result).toMatchObject({ outcome: 'no-worker-ready', exitCode: EXIT_CODES.backendError, workersReady: 0 });
    expect(result.stats.failures).toBe(1);
    expect(events).toContainEqual(
      expect.objectContaining({
        event: 'start-failed',
        name: 'pooled-1',
        message: expect.stringContaining('out of capacity'),
      }),
    );
    expect(provider.liveInstances).toEqual([]);
  });

  it('refuses to start when instances of its workers already exist for the master id', async () => {
    const { provider, run } = setup();
    const first = new AbortController();
    const events: PoolEvent[] = [];
    const running = run({ idle: 1, max: 1, signal: first.signal, onEvent: (event) => events.push(event) });
    await until(events, (event) => event.event === 'worker-ready');
    await expect(run({ idle: 1, max: 1, durationSeconds: 1 })).rejects.toMatchObject({
      code: 'CONFIGURATION_ERROR',
      message: expect.stringContaining("instances of this pool's workers already exist"),
    });
    first.abort();
    await running;
    expect(provider.liveInstances).toEqual([]);
  });

  it('rejects invalid numbers with a UsageError naming the option, before anything starts', async () => {
    const { provider, run } = setup();
    await expect(run({ idle: 3, max: 2 })).rejects.toThrow(
      new UsageError('--idle (3) cannot exceed --max (2): the idle workers count toward max'),
    );
    await expect(run({ idle: 1.5, max: 2 })).rejects.toThrow(/--idle must be an integer >= 0, got 1.5/);
    await expect(run({ max: 0 })).rejects.toThrow(/--max must be an integer >= 1, got 0/);
    await expect(run({ durationSeconds: -1 })).rejects.toThrow(/--duration must be a positive number/);
    await expect(run({ load: { kind: 'clients', clients: 0, holdMs: 10 } })).rejects.toBeInstanceOf(UsageError);
    expect(provider.startCount).toBe(0);
  });
});
