/**
 * Model-based random testing: random interleavings of the master's calls, time and provider faults.
 * After every step the lifecycle's guarantees must hold; after shutdown nothing may be left.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StartInstanceRequest } from '../contract/provider.js';
import { CannotSubstantiateError } from '../errors.js';
import { type HeldCall, InMemoryProvider } from '../testing/in-memory-provider.js';
import { type ManualClock, manualClock, settle } from '../testing/manual-clock.js';
import { LatentWorker } from './latent-worker.js';
import { LatentWorkerState } from './state.js';

interface Real {
  readonly worker: LatentWorker;
  readonly provider: InMemoryProvider;
  readonly clock: ManualClock;
  readonly held: HeldCall[];
  readonly waiters: { settled: boolean }[];
  busy: number;
}

type Model = Record<string, never>;

function track(real: Real, promise: Promise<unknown>): void {
  const entry = { settled: false };
  real.waiters.push(entry);
  promise.then(
    () => {
      entry.settled = true;
    },
    () => {
      entry.settled = true;
    },
  );
}

function checkInvariants(real: Real): void {
  const { provider, worker } = real;
  expect(provider.liveInstances.length).toBeLessThanOrEqual(1);
  expect(provider.callsInFlight).toBeLessThanOrEqual(1);
  expect(provider.overlapDetected).toBe(false);
  expect(provider.stopCount).toBeLessThanOrEqual(provider.startCount);
  const started = new Set<StartInstanceRequest>(provider.starts.map((start) => start.request));
  const stopped = new Set<StartInstanceRequest>();
  for (const stop of provider.stops) {
    expect(started.has(stop.request)).toBe(true);
    expect(stopped.has(stop.request)).toBe(false);
    stopped.add(stop.request);
  }
  if (worker.state === LatentWorkerState.NOT_SUBSTANTIATED || worker.state === LatentWorkerState.SHUT_DOWN) {
    expect(provider.stopCount).toBe(provider.startCount);
  }
}

class Step implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly label: string,
    readonly action: (real: Real) => void | Promise<void>,
  ) {}

  check(): boolean {
    return true;
  }

  async run(_model: Model, real: Real): Promise<void> {
    await this.action(real);
    await settle(2);
    checkInvariants(real);
  }

  toString(): string {
    return this.label;
  }
}

const substantiate = fc.boolean().map(
  (withAbort) =>
    new Step(`substantiate(abort=${withAbort})`, (real) => {
      const controller = new AbortController();
      track(real, real.worker.substantiate(undefined, withAbort ? { signal: controller.signal } : {}));
      if (withAbort) queueMicrotask(() => controller.abort(new Error('build stopped')));
    }),
);
const attached = fc.constant(
  new Step('attached', (real) => {
    real.worker.attached({ peer: `c${real.waiters.length}` }).catch(() => {});
  }),
);

const shutdown = fc.constant(new Step('shutdown', (real) => track(real, real.worker.shutdown())));

const others = [
  fc.constant(new Step('detached', (real) => real.worker.detached())),
  fc.constant(
    new Step('buildStarted', (real) => {
      if (!real.worker.substantiated || !real.worker.canStartBuild()) return;
      real.busy += 1;
      real.worker.buildStarted();
    }),
  ),
  fc.constantFrom('SUCCESS', 'FAILURE', 'RETRY', 'EXCEPTION').map(
    (result) =>
      new Step(`buildFinished(${result})`, (real) => {
        if (real.busy === 0) return;
        real.busy -= 1;
        real.worker.buildFinished({ result });
      }),
  ),
  fc
    .boolean()
    .map(
      (fast) => new Step(`insubstantiate(fast=${fast})`, (real) => track(real, real.worker.insubstantiate({ fast }))),
    ),
  fc.constantFrom(-1, 0, 1, 5, 600).map(
    (buildWaitTimeout) =>
      new Step(`reconfigure(buildWaitTimeout=${buildWaitTimeout})`, (real) => {
        try {
          real.worker.reconfigure({
            name: 'bot',
            masterId: 'm',
            masterFQDN: 'master',
            provider: real.provider,
            clock: real.clock,
            buildWaitTimeout,
            missingTimeout: 120,
          });
        } catch {
          // shut down: refused, as documented
        }
      }),
  ),
  fc
    .constantFrom(0, 1, 5, 10, 30, 130)
    .map((seconds) => new Step(`advance(${seconds})`, (real) => real.clock.advance(seconds))),
  fc.constant(new Step('failNextStart', (real) => real.provider.failNextStart())),
  fc.constant(
    new Step('failNextStart(cannot)', (real) => real.provider.failNextStart(new CannotSubstantiateError('no image'))),
  ),
  fc.constant(new Step('refuseNextStart', (real) => real.provider.refuseNextStart())),
  fc.constant(new Step('holdNextStart', (real) => void real.held.push(real.provider.holdNextStart()))),
  fc.constant(new Step('holdNextStop', (real) => void real.held.push(real.provider.holdNextStop()))),
  fc.constant(new Step('failNextStop', (real) => real.provider.failNextStop(new Error('stop failed')))),
  fc.constant(
    new Step('failNextStop(sync)', (real) =>
      real.provider.failNextStop(new Error('stop threw'), { synchronous: true }),
    ),
  ),
  fc.constant(new Step('crashNextInstance', (real) => real.provider.crashNextInstance('exit 1'))),
  fc.constant(
    new Step('crash', (real) => {
      const [instance] = real.provider.liveInstances;
      if (instance) real.provider.crash(instance, 'segfault');
    }),
  ),
  fc.constantFrom('release', 'fail', 'refuse').map(
    (how) =>
      new Step(`settleHeld(${how})`, (real) => {
        const call = real.held.find((held) => held.wasCalled);
        if (!call) return;
        real.held.splice(real.held.indexOf(call), 1);
        if (how === 'release') call.release();
        else if (how === 'fail') call.fail(new Error('held call failed'));
        else call.refuse();
      }),
  ),
];

// Weighted so that runs reach deep states before an (always terminal) shutdown.
const commands = [
  fc.oneof(
    { arbitrary: substantiate, weight: 6 },
    { arbitrary: attached, weight: 6 },
    { arbitrary: shutdown, weight: 1 },
    ...others.map((arbitrary) => ({ arbitrary: arbitrary as fc.Arbitrary<Step>, weight: 2 })),
  ),
];

describe('LatentWorker model', () => {
  it('keeps its guarantees under random interleavings of calls, time and provider faults', async () => {
    const statesSeen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.commands(commands, { maxCommands: 60, size: 'max' }),
        fc.boolean(),
        async (steps, honourAbort) => {
          const clock = manualClock();
          const provider = new InMemoryProvider({ honourAbort });
          const worker = new LatentWorker({
            name: 'bot',
            masterId: 'm',
            masterFQDN: 'master',
            provider,
            clock,
            buildWaitTimeout: 0,
            missingTimeout: 120,
          });
          worker.on('state', ({ to }) => statesSeen.add(to));
          const real: Real = { worker, provider, clock, held: [], waiters: [], busy: 0 };
          await fc.asyncModelRun(() => ({ model: {}, real }), steps);

          // Drain: release anything held, shut down, and check nothing is left.
          const shutdown = worker.shutdown();
          for (let round = 0; round < 20 && worker.state !== LatentWorkerState.SHUT_DOWN; round += 1) {
            for (const call of real.held.splice(0)) call.release();
            await clock.advance(200);
          }
          await shutdown;
          await settle();
          checkInvariants(real);
          expect(worker.state).toBe(LatentWorkerState.SHUT_DOWN);
          expect(real.waiters.every((waiter) => waiter.settled)).toBe(true);
          expect(clock.pendingTimers).toBe(0);
          // Only a stop the backend failed may leave its instance behind (reaped as an orphan later).
          const leakable = new Set(provider.failedStops.map((stop) => stop.instance?.id));
          expect(provider.liveInstances.filter((instance) => !leakable.has(instance.id))).toEqual([]);
          expect(provider.startCount).toBe(provider.stopCount);
        },
      ),
      { numRuns: 300 },
    );
    // The random runs really explored every state of the machine.
    expect([...statesSeen].sort()).toEqual(Object.values(LatentWorkerState).sort());
  });
});
