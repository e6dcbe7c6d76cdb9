/**
 * Differential checks against the reference implementations, where they are installed:
 * CPython (its own `%` operator) and Buildbot (its own `Interpolate`, Debian's python3-buildbot).
 * Each is skipped, and says so, when its oracle is missing. Longer runs: see packages/core/fuzz/.
 */
import { describe, expect, it } from 'vitest';
import { runFormatDifferential } from '../../fuzz/differential-format.js';
import { buildbotAvailable, runInterpolateDifferential } from '../../fuzz/differential-interpolate.js';
import { pythonAvailable } from '../../fuzz/python-oracle.js';

describe.skipIf(!pythonAvailable())('oracle: Python %-formatting equals CPython', () => {
  it('2000 random formats and arguments give the same text or the same exception', () => {
    const result = runFormatDifferential(2000, 20261127);
    expect(result.mismatches).toEqual([]);
    expect(result.formatted).toBeGreaterThan(500);
  });
});

describe.skipIf(!buildbotAvailable())('oracle: Interpolate equals Buildbot’s Interpolate', () => {
  it('1000 random formats render alike or fail alike (documented deviations aside)', async () => {
    const result = await runInterpolateDifferential(1000, 20261127);
    expect(result.mismatches).toEqual([]);
    expect(result.tally.same).toBeGreaterThan(800);
  });
});
