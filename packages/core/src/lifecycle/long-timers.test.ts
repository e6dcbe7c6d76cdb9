import { describe, expect, it } from 'vitest';
import { InMemoryProvider } from '../testing/in-memory-provider.js';
import { manualClock } from '../testing/manual-clock.js';
import { type Clock, systemClock } from './clock.js';
import { LatentWorker } from './latent-worker.js';
import { MIN_CHECK_INSTANCE_INTERVAL, resolveTimings } from './options.js';
import { LatentWorkerState } from './state.js';
import { MAX_TIMER_DELAY_MS, OneShotTimer } from './timer.js';

// Defect 2 of issue #23: setTimeout fires at once beyond 2^31 − 1 ms (about 24.8 days).
const THREE_MILLION_SECONDS = 3_000_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The system clock, recording every delay it was asked for. */
function recordingSystemClock(): Clock & { readonly delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: systemClock.now,
    setTimeout(callback, milliseconds) {
      delays.push(milliseconds);
      return systemClock.setTimeout(callback, milliseconds);
    },
    clearTimeout: systemClock.clearTimeout,
  };
}

describe('defect 2 (#23): timers longer than 2^31 − 1 ms wait their full time', () => {
  it('a OneShotTimer of 3,000,000 s on the real clock does not fire at once', async () => {
    const clock = recordingSystemClock();
    const timer = new OneShotTimer(clock);
    let fired = false;
    timer.start(THREE_MILLION_SECONDS, () => {
      fired = true;
    });
    await sleep(100);
    expect(fired).toBe(false);
    expect(timer.active).toBe(true);
    expect(Math.max(...clock.delays)).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
    timer.stop();
  });

  it('chains steps of at most 2^31 − 1 ms and fires exactly at the deadline', async () => {
    const clock = manualClock();
    const asked: number[] = [];
    const recording: Clock = {
      now: clock.now,
      setTimeout: (callback, milliseconds) => {
        asked.push(milliseconds);
        return clock.setTimeout(callback, milliseconds);
      },
      clearTimeout: clock.clearTimeout,
    };
    const timer = new OneShotTimer(recording);
    const fired: number[] = [];
    timer.start(THREE_MILLION_SECONDS, () => fired.push(clock.now()));
    await clock.advance(THREE_MILLION_SECONDS - 1);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([THREE_MILLION_SECONDS * 1000]);
    expect(asked.length).toBe(Math.ceil((THREE_MILLION_SECONDS * 1000) / MAX_TIMER_DELAY_MS));
    expect(asked.every((ms) => ms <= MAX_TIMER_DELAY_MS)).toBe(true);
  });

  it('a worker with missingTimeout and checkInstanceInterval of 3,000,000 s neither times out nor polls at once', async () => {
    const provider = new InMemoryProvider();
    const worker = new LatentWorker({
      name: 'long-timers',
      masterId: 'long-timers-master',
      masterFQDN: 'master.example.org',
      provider,
      missingTimeout: THREE_MILLION_SECONDS,
      checkInstanceInterval: THREE_MILLION_SECONDS,
    });
    let settled = false;
    const substantiation = worker.substantiate().then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await sleep(300);
    expect(settled).toBe(false);
    expect(worker.state).toBe(LatentWorkerState.SUBSTANTIATING_STARTING);
    expect(provider.checks).toBe(0);
    await worker.shutdown();
    await substantiation;
  });

  it('buildWaitTimeout of 3,000,000 s keeps an idle instance running', async () => {
    const provider = new InMemoryProvider();
    const worker = new LatentWorker({
      name: 'long-idle',
      masterId: 'long-timers-master',
      masterFQDN: 'master.example.org',
      provider,
      buildWaitTimeout: THREE_MILLION_SECONDS,
    });
    provider.autoAttach(worker);
    await worker.substantiate();
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    await sleep(200);
    expect(worker.state).toBe(LatentWorkerState.SUBSTANTIATED);
    expect(provider.stopCount).toBe(0);
    await worker.shutdown();
  });

  it('a tiny checkInstanceInterval (1e-6 s) is raised to the floor: at most a few checks in 300 ms', async () => {
    expect(
      resolveTimings({ name: 'w', masterId: 'm', provider: new InMemoryProvider(), checkInstanceInterval: 1e-6 })
        .checkInstanceInterval,
    ).toBe(MIN_CHECK_INSTANCE_INTERVAL);
    const provider = new InMemoryProvider();
    const worker = new LatentWorker({
      name: 'tiny-interval',
      masterId: 'long-timers-master',
      masterFQDN: 'master.example.org',
      provider,
      checkInstanceInterval: 1e-6,
    });
    const substantiation = worker.substantiate().catch(() => {});
    await sleep(300);
    expect(provider.checks).toBeLessThanOrEqual(Math.ceil(0.3 / MIN_CHECK_INSTANCE_INTERVAL) + 1);
    await worker.shutdown();
    await substantiation;
  });
});
