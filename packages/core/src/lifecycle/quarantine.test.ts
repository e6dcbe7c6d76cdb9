/** The quarantine checks of reference §7.2 (Buildbot's TestAbstractWorker), on `LatentWorker`. */
import { describe, expect, it } from 'vitest';
import { manualClock } from '../testing/manual-clock.js';
import { workerFixture } from './fixture.test-support.js';
import { Quarantine } from './quarantine.js';

describe('§7.2 quarantine', () => {
  it('Q1 repeated quarantines wait 10, 20, 40 … 3600, 3600 s and builds cannot start until each elapses', async () => {
    const { worker, clock } = workerFixture();
    const waits: number[] = [];
    for (let round = 0; round < 11; round += 1) {
      worker.putInQuarantine();
      expect(worker.canStartBuild()).toBe(false);
      const wait = clock.nextTimerIn() ?? 0;
      waits.push(wait);
      await clock.advance(wait - 1);
      expect(worker.canStartBuild()).toBe(false);
      await clock.advance(1);
      expect(worker.canStartBuild()).toBe(true);
    }
    expect(waits).toEqual([10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]);
  });

  it('Q2 after the backoff was pumped to 160, a reset makes the next quarantine last 10 s', async () => {
    const { worker, clock } = workerFixture();
    for (const wait of [10, 20, 40, 80]) {
      worker.putInQuarantine();
      await clock.advance(wait);
    }
    expect(worker.nextQuarantineTimeout).toBe(160);
    worker.resetQuarantine();
    worker.putInQuarantine();
    expect(clock.nextTimerIn()).toBe(10);
  });

  it('Q3 a quarantine at t=0 repeated at t=5 still ends at t=10', async () => {
    const { worker, clock } = workerFixture();
    worker.putInQuarantine();
    await clock.advance(5);
    worker.putInQuarantine();
    await clock.advance(4.9);
    expect(worker.isQuarantined).toBe(true);
    await clock.advance(0.1);
    expect(worker.isQuarantined).toBe(false);
    expect(worker.canStartBuild()).toBe(true);
  });

  it('Q4 stopping the quarantine timer, quarantined or not, leaves the worker able to start builds', () => {
    const { worker } = workerFixture();
    worker.stopQuarantineTimer();
    expect(worker.canStartBuild()).toBe(true);
    worker.putInQuarantine();
    worker.stopQuarantineTimer();
    expect(worker.isQuarantined).toBe(false);
    expect(worker.canStartBuild()).toBe(true);
  });

  it('Q5 a manual pause during quarantine stays in effect after the quarantine expires', async () => {
    const { worker, clock } = workerFixture();
    worker.putInQuarantine();
    worker.pause();
    await clock.advance(10);
    expect(worker.isQuarantined).toBe(false);
    expect(worker.isPaused).toBe(true);
    expect(worker.canStartBuild()).toBe(false);
  });

  it('Q6 unpausing exits quarantine immediately', () => {
    const { worker } = workerFixture();
    worker.putInQuarantine();
    worker.pause();
    worker.unpause();
    expect(worker.isQuarantined).toBe(false);
    expect(worker.canStartBuild()).toBe(true);
  });

  it('Q7 after a backoff of 10…160 and a pause/unpause the next quarantine lasts 320 s', async () => {
    const { worker, clock } = workerFixture();
    for (const wait of [10, 20, 40, 80]) {
      worker.putInQuarantine();
      await clock.advance(wait);
    }
    worker.putInQuarantine();
    expect(clock.nextTimerIn()).toBe(160);
    worker.pause();
    worker.unpause();
    worker.putInQuarantine();
    expect(clock.nextTimerIn()).toBe(320);
  });
});

describe('Quarantine', () => {
  it('reports entering and leaving to its listener', async () => {
    const clock = manualClock();
    const seen: string[] = [];
    const quarantine = new Quarantine(clock, {
      entered: (seconds) => seen.push(`entered ${seconds}`),
      left: (reason) => seen.push(`left ${reason}`),
    });
    expect(quarantine.put()).toBe(true);
    expect(quarantine.put()).toBe(false);
    await clock.advance(10);
    quarantine.put();
    quarantine.stopTimer();
    expect(seen).toEqual(['entered 10', 'left expired', 'entered 20', 'left stopped']);
  });

  it('a build finishing with EXCEPTION quarantines the worker and a SUCCESS resets the backoff', async () => {
    const { worker, clock } = workerFixture();
    worker.buildStarted();
    worker.buildFinished({ result: 'EXCEPTION' });
    expect(worker.isQuarantined).toBe(true);
    expect(worker.nextQuarantineTimeout).toBe(20);
    await clock.advance(10);
    worker.buildStarted();
    worker.buildFinished({ result: 'RETRY' });
    expect(worker.nextQuarantineTimeout).toBe(20);
    worker.buildStarted();
    worker.buildFinished({ result: 'SUCCESS' });
    expect(worker.nextQuarantineTimeout).toBe(10);
  });

  it("logs Buildbot's quarantine messages", async () => {
    const { worker, clock, logger } = workerFixture();
    worker.putInQuarantine();
    await clock.advance(10);
    expect(logger.messages()).toEqual(
      expect.arrayContaining(['bot1 has been put in quarantine for 10s', 'bot1 has left quarantine']),
    );
  });
});
