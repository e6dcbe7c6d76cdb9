import { describe, expect, it } from 'vitest';
import { ConfigurationError, RenderError } from '../errors.js';
import { Interpolate, MAX_INTERPOLATE_NESTING } from './interpolate.js';
import { Properties } from './properties.js';
import { MAX_FORMAT_OUTPUT } from './python-format.js';

// Defect 8 of issue #23: Interpolate's limits end in typed errors, quickly.
function nested(levels: number): string {
  return `${'%(prop:p:-'.repeat(levels)}x${')s'.repeat(levels)}`;
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('defect 8 (#23): Interpolate nesting and output size are bounded', () => {
  it(`nesting up to ${MAX_INTERPOLATE_NESTING} levels works`, async () => {
    const interpolate = new Interpolate(nested(MAX_INTERPOLATE_NESTING));
    expect(await interpolate.getRenderingFor(new Properties())).toBe('x');
  });

  it('1,000 and 100,000 nesting levels are a ConfigurationError at construction, not a raw RangeError, in well under a second', () => {
    for (const levels of [1_000, 100_000]) {
      const started = performance.now();
      const error = thrown(() => new Interpolate(nested(levels)));
      expect(performance.now() - started).toBeLessThan(1000);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(/nested \d+ levels deep, more than the 64 allowed/);
      expect((error as Error).message.length).toBeLessThan(500);
    }
  });

  it('summed widths beyond the output limit are a ConfigurationError at construction', () => {
    const started = performance.now();
    const error = thrown(() => new Interpolate('%(prop:a)999999s'.repeat(120)));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/result too long/);
  });

  it('values that render to more than the output limit are a RenderError', async () => {
    const big = 'y'.repeat(MAX_FORMAT_OUTPUT / 4 + 1);
    const interpolate = new Interpolate('%(prop:a)s%(prop:a)s%(prop:a)s%(prop:a)s');
    const properties = new Properties();
    properties.setProperty('a', big, 'test');
    await expect(interpolate.getRenderingFor(properties)).rejects.toBeInstanceOf(RenderError);
    await expect(interpolate.getRenderingFor(properties)).rejects.toThrow(/result too long/);
  });
});
