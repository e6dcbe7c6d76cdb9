/**
 * Model-based random testing of the pool: random sequences of acquires (with and without abort or
 * timeout, of two build kinds), releases, aborts, start failures, held starts, time and close, on
 * two in-memory backends with a manual clock. After every step the pool's guarantees must hold;
 * once demand stops the idle count comes back; after close nothing is left.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorkerShutDownError } from '../errors.js';
import { Properties } from '../renderables/index.js';
import type { InMemoryInstance } from '../testing/in-memory-provider.js';
import { manualClock, settle } from '../testing/manual-clock.js';
import { type InMemoryBackend, inMemoryBackend } from './fixture.test-support.js';
import { type WorkerLease, WorkerPool } from './worker-pool.js';

type Operation =
  | {
      readonly op: 'acquire';
      readonly kind: 'a' | 'b' | undefined;
      readonly abortable: boolean;
      readonly timeout: 0 | 15;
    }
  | { readonly op: 'release'; readonly index: number; readonly exception: boolean }
  | { readonly op: 'abort'; readonly index: number }
  | { readonly op: 'fail'; readonly backend: 0 | 1; readonly count: number }
  | { readonly op: 'hold'; readonly backend: 0 | 1 }
  | { readonly op: 'let-go'; readonly index: number }
  | { readonly op: 'advance'; readonly seconds: number }
  | { readonly op: 'close'; readonly drain: boolean };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('acquire' as const),
      kind: fc.constantFrom('a' as const, 'b' as const, undefined),
      abortable: fc.boolean(),
      timeout: fc.constantFrom(0 as const, 15 as const),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('release' as const), index: fc.nat(), exception: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('abort' as const), index: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('fail' as const),
      backend: fc.constantFrom(0 as const, 1 as const),
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('hold' as const), backend: fc.constantFrom(0 as const, 1 as const) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('let-go' as const), index: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('advance' as const), seconds: fc.integer({ min: 0, max: 40 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('close' as const), drain: fc.boolean() }) },
);

const configuration = fc
  .record({
    max: fc.integer({ min: 1, max: 5 }),
    idle: fc.integer({ min: 0, max: 3 }),
    reuse: fc.boolean(),
    maxIdleTime: fc.constantFrom(0, 5, 30),
    startConcurrency: fc.integer({ min: 1, max: 4 }),
    capacities: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })),
  })
  .map((config) => ({ ...config, idle: Math.min(config.idle, config.max) }));

function kindProperties(kind: 'a' | 'b' | undefined): Properties | undefined {
  if (kind === undefined) return undefined;
  const properties = new Properties();
  properties.setProperty('worker_kind', kind, 'Build');
  return properties;
}

interface Acquisition {
  readonly controller: AbortController | undefined;
  settled: boolean;
  lease: WorkerLease<InMemoryInstance> | undefined;
  error: unknown;
}

function checkInvariants(
  pool: WorkerPool<InMemoryInstance>,
  backends: readonly InMemoryBackend[],
  max: number,
  capacities: readonly number[],
  acquisitions: readonly Acquisition[],
): void {
  const live = backends.flatMap((backend) => backend.liveInstances);
  expect(live.length).toBeLessThanOrEqual(max);
  backends.forEach((backend, index) => {
    expect(backend.liveInstances.length).toBeLessThanOrEqual(capacities[index] ?? 0);
    for (const provider of backend.providers) {
      // One worker per provider: one start at most, and never a stop without its start.
      expect(provider.startCount).toBeLessThanOrEqual(1);
      expect(provider.stopCount).toBeLessThanOrEqual(provider.startCount);
      expect(provider.overlapDetected).toBe(false);
    }
  });
  const names = live.map((instance) => instance.labels['io.latentci.worker']);
  expect(new Set(names).size).toBe(names.length);
  const stats = pool.stats();
  expect(stats.total).toBeLessThanOrEqual(max);
  const held = acquisitions.flatMap((each) => (each.lease && !each.lease.released ? [each.lease] : []));
  expect(new Set(held.map((lease) => lease.worker)).size).toBe(held.length);
  expect(new Set(held.map((lease) => lease.name)).size).toBe(held.length);
  if (!pool.closed) expect(stats.leased).toBe(held.length);
}

describe('WorkerPool (model-based)', () => {
  it('keeps its guarantees under random acquires, releases, aborts, failures, time and close', async () => {
    await fc.assert(
      fc.asyncProperty(configuration, fc.array(operation, { maxLength: 40 }), async (config, operations) => {
        const clock = manualClock();
        const backends = [inMemoryBackend(clock), inMemoryBackend(clock)];
        const pool = new WorkerPool({
          namePrefix: 'model',
          max: config.max,
          idle: config.idle,
          reuse: config.reuse,
          maxIdleTime: config.maxIdleTime,
          startConcurrency: config.startConcurrency,
          clock,
          backends: backends.map((backend, index) => ({
            name: `b${index}`,
            createWorker: backend.createWorker,
            capacity: config.capacities[index],
          })),
        });
        const acquisitions: Acquisition[] = [];
        let closing: Promise<void> | undefined;
        const releaseAll = async () => {
          for (const each of acquisitions) if (each.lease && !each.lease.released) await each.lease.release();
        };
        const check = () => checkInvariants(pool, backends, config.max, config.capacities, acquisitions);
        try {
          await settle(5);
          for (const step of operations) {
            switch (step.op) {
              case 'acquire': {
                const controller = step.abortable ? new AbortController() : undefined;
                const acquisition: Acquisition = { controller, settled: false, lease: undefined, error: undefined };
                acquisitions.push(acquisition);
                pool
                  .acquire({ properties: kindProperties(step.kind), signal: controller?.signal, timeout: step.timeout })
                  .then(
                    (lease) => {
                      acquisition.lease = lease;
                      acquisition.settled = true;
                    },
                    (error: unknown) => {
                      acquisition.error = error;
                      acquisition.settled = true;
                    },
                  );
                break;
              }
              case 'release': {
                const held = acquisitions.filter((each) => each.lease && !each.lease.released);
                const target = held[step.index % Math.max(1, held.length)];
                void target?.lease?.release({ result: step.exception ? 'EXCEPTION' : 'SUCCESS' });
                break;
              }
              case 'abort': {
                const pending = acquisitions.filter((each) => !each.settled && each.controller);
                pending[step.index % Math.max(1, pending.length)]?.controller?.abort(new Error('build stopped'));
                break;
              }
              case 'fail':
                backends[step.backend]?.failNextStarts(step.count);
                break;
              case 'hold':
                backends[step.backend]?.holdNextStarts(1);
                break;
              case 'let-go': {
                const held = backends.flatMap((backend) => backend.held).filter((call) => call.wasCalled);
                held[step.index % Math.max(1, held.length)]?.release();
                break;
              }
              case 'advance':
                await clock.advance(step.seconds);
                break;
              case 'close':
                closing ??= pool.close({ drain: step.drain });
                break;
            }
            await settle(5);
            check();
          }

          if (!closing) {
            // Demand stops: every lease ends, backends heal, held starts finish. The pool comes back
            // to exactly `idle` attached workers and every waiter was served or told why not.
            for (const backend of backends) backend.heal();
            for (let round = 0; round < 12; round += 1) {
              for (const call of backends.flatMap((backend) => backend.held)) call.release();
              await releaseAll();
              await clock.advance(400);
              await settle(5);
              check();
            }
            expect(acquisitions.every((each) => each.settled)).toBe(true);
            const reachable = Math.min(config.idle, config.capacities[0] + config.capacities[1]);
            expect(pool.stats()).toMatchObject({ idle: reachable, total: reachable, waiting: 0, leased: 0 });
            for (const backend of backends) {
              for (const worker of backend.workers) {
                if (worker.state !== 'SHUT_DOWN') expect(worker.substantiated).toBe(true);
              }
            }
          }
        } finally {
          for (const call of backends.flatMap((backend) => backend.held)) call.release();
          const closed = closing ?? pool.close();
          await releaseAll();
          await closed;
          await pool.close();
        }
        // Nothing left: every instance stopped exactly once, every waiter settled, no timer pending.
        await settle(5);
        for (const backend of backends) {
          expect(backend.liveInstances).toHaveLength(0);
          for (const provider of backend.providers) expect(provider.stopCount).toBe(provider.startCount);
          for (const worker of backend.workers) expect(worker.state).toBe('SHUT_DOWN');
        }
        expect(acquisitions.every((each) => each.settled)).toBe(true);
        for (const each of acquisitions) {
          if (each.error instanceof WorkerShutDownError) expect(each.lease).toBeUndefined();
        }
        expect(pool.stats()).toMatchObject({ total: 0, waiting: 0 });
        expect(clock.pendingTimers).toBe(0);
      }),
      {
        numRuns: 150,
        examples: [
          [{ max: 3, idle: 3, reuse: false, maxIdleTime: 0, startConcurrency: 1, capacities: [1, 1] }, []],
          [
            { max: 1, idle: 0, reuse: true, maxIdleTime: 0, startConcurrency: 1, capacities: [1, 1] },
            [{ op: 'acquire', kind: 'a', abortable: false, timeout: 0 }],
          ],
          // The backends are full below max: an idle worker of another kind must make room.
          [
            { max: 3, idle: 2, reuse: false, maxIdleTime: 0, startConcurrency: 1, capacities: [1, 1] },
            [{ op: 'acquire', kind: 'a', abortable: false, timeout: 0 }],
          ],
        ],
      },
    );
  }, 120_000);
});
