/** fast-check properties: random formats never crash with anything but the typed errors, and never hang. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, RenderError } from '../errors.js';
import { Interpolate, Properties, render, WithProperties } from './index.js';

const fragment = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 6 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '%',
      '%%',
      '%s',
      '%d',
      '%(',
      ')',
      '(',
      ':',
      '%(prop:',
      '%(kw:',
      '%(src:cb:',
      '%(worker:',
      '%(secret:',
      ':-',
      ':~',
      ':+',
      ':?|',
      ':#?|',
      '|',
      ')s',
      ')r',
      '*',
      '.',
      '9',
      '😀',
    ),
  },
);
const format = fc.array(fragment, { maxLength: 14 }).map((parts) => parts.join(''));

function properties(): Properties {
  const result = new Properties({
    sourceStamps: [{ codebase: 'cb', branch: 'main' }],
    workerInfo: { os: 'linux' },
    secrets: { get: (name) => (name === 'a' ? 'secret-a' : undefined) },
  });
  result.update({ a: 1, b: 'x', c: null, d: [1, 'y'] }, 'test');
  return result;
}

function expectTyped(error: unknown): void {
  expect(error instanceof ConfigurationError || error instanceof RenderError).toBe(true);
}

describe('Interpolate fuzzing (fast-check)', () => {
  it('keyword form: constructs and renders, or throws ConfigurationError/RenderError, quickly', async () => {
    await fc.assert(
      fc.asyncProperty(format, async (text) => {
        const started = performance.now();
        try {
          const rendered = await render(new Interpolate(text, { a: 'kw' }), properties());
          expect(typeof rendered).toBe('string');
        } catch (error) {
          expectTyped(error);
        }
        // A hang guard, not a performance figure (those are in `pnpm bench`): generous for loaded CI machines.
        expect(performance.now() - started).toBeLessThan(10_000);
      }),
      { numRuns: 2000, seed: 1127 },
    );
  });

  it('positional form: any values, any format', async () => {
    const value = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    await fc.assert(
      fc.asyncProperty(format, fc.array(value, { minLength: 1, maxLength: 4 }), async (text, values) => {
        try {
          expect(typeof (await render(new Interpolate(text, ...values), properties()))).toBe('string');
        } catch (error) {
          expectTyped(error);
        }
      }),
      { numRuns: 1500, seed: 1128 },
    );
  });

  it('WithProperties: same guarantee', async () => {
    await fc.assert(
      fc.asyncProperty(format, async (text) => {
        try {
          expect(typeof (await render(new WithProperties(text), properties()))).toBe('string');
        } catch (error) {
          expectTyped(error);
        }
      }),
      { numRuns: 1000, seed: 1129 },
    );
  });

  it('deeply nested alternatives stay fast', async () => {
    let text = 'x';
    for (let depth = 0; depth < 40; depth += 1) text = `%(prop:missing:-${text})s`;
    const started = performance.now();
    expect(await render(new Interpolate(text), properties())).toBe('x');
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
