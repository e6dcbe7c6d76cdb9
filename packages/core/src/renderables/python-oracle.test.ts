/**
 * Differential checks against the reference implementations, where they are installed:
 * CPython (its own `%` operator) and Buildbot (its own `Interpolate`, Debian's python3-buildbot).
 * A missing oracle fails the test with what to install (`bash scripts/test-prerequisites.sh`
 * installs both on Debian/Ubuntu). Longer runs: see packages/core/fuzz/.
 */
import { describe, expect, it } from 'vitest';
import { runFormatDifferential } from '../../fuzz/differential-format.js';
import { buildbotAvailable, runInterpolateDifferential } from '../../fuzz/differential-interpolate.js';
import { pythonAvailable } from '../../fuzz/python-oracle.js';

describe('oracle: Python %-formatting equals CPython', () => {
  it('2000 random formats and arguments give the same text or the same exception', () => {
    expect(
      pythonAvailable(),
      'CPython 3.8–3.12 is needed as the oracle: run `bash scripts/test-prerequisites.sh`',
    ).toBe(true);
    const result = runFormatDifferential(2000, 20261127);
    expect(result.mismatches).toEqual([]);
    expect(result.formatted).toBeGreaterThan(500);
  });
});

describe('oracle: Interpolate equals Buildbot’s Interpolate', () => {
  it('1000 random formats render alike or fail alike (documented deviations aside)', async () => {
    expect(
      buildbotAvailable(),
      'Buildbot is needed as the oracle: run `bash scripts/test-prerequisites.sh` (apt-get install python3-buildbot)',
    ).toBe(true);
    const result = await runInterpolateDifferential(1000, 20261127);
    expect(result.mismatches).toEqual([]);
    expect(result.tally.same).toBeGreaterThan(800);
  });
});
