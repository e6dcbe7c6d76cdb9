import { describe, expect, it } from 'vitest';
import type { PoolEvent, PoolSnapshot } from '../pool-events.js';
import { createPoolReporter, formatPoolStats } from './pool-reporter.js';

const snapshot: PoolSnapshot = {
  idle: 1,
  starting: 0,
  leased: 1,
  stopping: 0,
  waiting: 2,
  total: 2,
  failures: 1,
  leases: 12,
  warmLeases: 10,
  timeToLease: { count: 12, p50: 2.4, p95: 480.2 },
};

function capture(tty: boolean) {
  let text = '';
  const report = createPoolReporter({ write: (chunk) => (text += chunk), tty, columns: 200 });
  return { report: (event: PoolEvent) => report(event), text: () => text };
}

describe('the pool reporter', () => {
  it('formats a snapshot as one line: counts, leases (warm), time-to-lease p50/p95', () => {
    expect(formatPoolStats(snapshot)).toBe(
      'idle 1 · starting 0 · leased 1 · stopping 0 · waiting 2 · failures 1 · leases 12 (10 warm) · time-to-lease p50 2 ms, p95 480 ms',
    );
    expect(
      formatPoolStats({ ...snapshot, leases: 0, timeToLease: { count: 0, p50: Number.NaN, p95: Number.NaN } }),
    ).toMatch(/time-to-lease –$/);
  });

  it('without a terminal prints each snapshot as a plain line', () => {
    const { report, text } = capture(false);
    report({ event: 'stats', elapsedSeconds: 1, ...snapshot });
    report({ event: 'worker-ready', name: 'w-1', startMs: 480 });
    report({ event: 'stats', elapsedSeconds: 2, ...snapshot });
    expect(text()).not.toContain('\r');
    expect(text().trimEnd().split('\n')).toHaveLength(3);
    expect(text()).toContain('✓ w-1 attached (start took 480 ms)');
  });

  it('on a terminal redraws one stats line, and prints event lines above it', () => {
    const { report, text } = capture(true);
    report({ event: 'stats', elapsedSeconds: 1, ...snapshot });
    report({ event: 'worker-ready', name: 'w-1', startMs: 480 });
    report({ event: 'stats', elapsedSeconds: 2, ...snapshot });
    const out = text();
    // Each draw clears the line first; the event line clears the stats, then redraws them below it.
    expect(out.split('\r\x1b[2K')).toHaveLength(4);
    expect(out.match(/\n/g)).toHaveLength(1);
    expect(out).toMatch(/✓ w-1 attached \(start took 480 ms\)\n\[.*\] idle 1/);
  });

  it('ends with the verdict, the last stats and what may be left', () => {
    const { report, text } = capture(true);
    report({ event: 'stats', elapsedSeconds: 1, ...snapshot });
    report({
      event: 'result',
      outcome: 'interrupted',
      exitCode: 130,
      master: '172.17.0.1:9989',
      workersReady: 3,
      stats: { ...snapshot, idle: 0, leased: 0, total: 0, waiting: 0 },
      elapsedSeconds: 4.2,
      leftBehind: { why: 'abandoned', what: 'the instances of workers "w-1"', reap: 'latentci reap w.json' },
    });
    expect(text()).toContain('✘ INTERRUPTED: cleanup not finished');
    expect(text()).toContain('the instances of workers "w-1" may be left: `latentci reap w.json`');
    expect(text()).toContain('exit code 130');
  });
});
