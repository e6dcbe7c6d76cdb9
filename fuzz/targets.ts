import { Interpolate, isLatentError, Properties, parseMasterAddress, render } from '@latentci/core';
import fc from 'fast-check';
import { parseVolume } from '../packages/docker/src/volumes.js';
import { appIdErrors } from '../packages/marathon/src/app-id.js';
import { BananaDecoder, type BananaValue, DEFAULT_BANANA_LIMITS } from '../packages/worker-protocol/src/pb/banana.js';
import { bananaishBytes, splitAt } from '../packages/worker-protocol/src/pb/codec.test-support.js';
import { unjelly } from '../packages/worker-protocol/src/pb/jelly.js';
import { PRE_LOGIN_LIMITS } from '../packages/worker-protocol/src/pb/pb-listener.js';
import { markerReferences } from '../packages/worker-protocol/src/pb/transcript.test-support.js';

/**
 * The fuzz targets of `pnpm fuzz`: parsers that take user configuration. Each property says the
 * same thing: any input ends either in a value or in a typed latentci error — never another
 * exception, never a hang (the runner kills a target that stops answering).
 */
export interface FuzzTarget {
  readonly name: string;
  readonly run: (numRuns: number, seed: number) => Promise<void>;
}

function onlyTypedErrors(action: () => unknown): boolean {
  try {
    action();
    return true;
  } catch (error) {
    if (isLatentError(error)) return true;
    throw error;
  }
}

async function onlyTypedErrorsAsync(action: () => Promise<unknown>): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (error) {
    if (isLatentError(error)) return true;
    throw error;
  }
}

// Formats built from the pieces of Interpolate's grammar, so that deep nesting and every operator
// are reached far more often than with uniform random strings.
const interpolationPiece = fc.oneof(
  fc.constantFrom(
    '%(',
    ')s',
    ')d',
    ')r',
    '%s',
    '%%',
    '%',
    ':-',
    '-',
    ':~',
    '~',
    ':+',
    '+',
    '?|',
    '#?|',
    '|',
    ':',
    '(',
    ')',
  ),
  fc.constantFrom('prop', 'src', 'kw', 'worker', 'secret', 'prop:', 'src:cb:', 'kw:', 'worker:'),
  fc.string({ maxLength: 4 }),
);
const interpolationFormat = fc.array(interpolationPiece, { maxLength: 24 }).map((pieces) => pieces.join(''));

const properties = new Properties();
properties.setProperty('branch', 'main', 'fuzz');
properties.setProperty('flag', true, 'fuzz');
properties.setProperty('empty', '', 'fuzz');
properties.setProperty('list', [1, 'a', null], 'fuzz');

export const fuzzTargets: readonly FuzzTarget[] = [
  {
    name: 'PB decoder (Banana stream split at random points, then Jelly)',
    run: async (numRuns, seed) =>
      fc.assert(
        fc.property(
          fc.oneof(bananaishBytes, fc.uint8Array({ maxLength: 200 })),
          fc.array(fc.nat(), { maxLength: 8 }),
          fc.boolean(),
          (bytes, cuts, beforeLogin) =>
            onlyTypedErrors(() => {
              const values: BananaValue[] = [];
              const decoder = new BananaDecoder(
                (value) => values.push(value),
                beforeLogin ? PRE_LOGIN_LIMITS : DEFAULT_BANANA_LIMITS,
              );
              decoder.vocabulary = true;
              try {
                for (const chunk of splitAt(bytes, cuts)) decoder.feed(chunk);
              } finally {
                for (const value of values) unjelly(value, markerReferences);
              }
            }),
        ),
        { numRuns, seed },
      ),
  },
  {
    name: 'Interpolate parser and render',
    run: (numRuns, seed) =>
      fc.assert(
        fc.asyncProperty(interpolationFormat, fc.array(fc.string(), { maxLength: 3 }), async (format, positional) =>
          onlyTypedErrorsAsync(async () => {
            const interpolation =
              positional.length > 0 ? new Interpolate(format, ...positional) : new Interpolate(format);
            const rendered = await render(interpolation, properties);
            if (typeof rendered !== 'string') throw new Error(`rendered to ${typeof rendered}, not a string`);
          }),
        ),
        { numRuns, seed },
      ),
  },
  {
    // Issue #23 defect 8: deep nesting and summed widths end in a typed error, never a raw
    // RangeError or a huge string.
    name: 'Interpolate limits (deep nesting, summed widths)',
    run: (numRuns, seed) =>
      fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 3000 }),
          fc.integer({ min: 0, max: 1_000_000 }),
          fc.integer({ min: 1, max: 40 }),
          async (levels, width, count) =>
            onlyTypedErrorsAsync(async () => {
              const format = `${'%(prop:branch:-'.repeat(levels)}x${')s'.repeat(levels)}${`%(prop:branch)${width}s`.repeat(count)}`;
              const rendered = await render(new Interpolate(format), properties);
              if (typeof rendered !== 'string' || rendered.length > 10_000_000) {
                throw new Error(`rendered ${typeof rendered} of ${String((rendered as string).length)} characters`);
              }
            }),
        ),
        { numRuns: Math.max(1, Math.floor(numRuns / 100)), seed },
      ),
  },
  {
    name: 'masterFQDN parsing',
    run: async (numRuns, seed) =>
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string(),
            fc
              .tuple(
                fc.oneof(
                  fc.domain(),
                  fc.ipV4(),
                  fc.ipV6().map((v6) => `[${v6}]`),
                ),
                fc.integer({ min: -10, max: 70_000 }),
              )
              .map(([host, port]) => `${host}:${port}`),
            fc.ipV6(),
          ),
          (value) =>
            onlyTypedErrors(() => {
              const address = parseMasterAddress(value);
              if (address.host.length === 0) throw new Error(`empty host accepted for ${JSON.stringify(value)}`);
              if (
                address.port !== undefined &&
                !(Number.isInteger(address.port) && address.port >= 1 && address.port <= 65535)
              ) {
                throw new Error(`port ${address.port} accepted for ${JSON.stringify(value)}`);
              }
            }),
        ),
        { numRuns, seed },
      ),
  },
  {
    name: 'Docker volume parsing',
    run: async (numRuns, seed) =>
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string(),
            fc
              .array(
                fc.oneof(
                  fc.constantFrom(':', '/', 'C:\\', 'ro', 'rw', 'z', 'Z', ',', 'cached', 'delegated'),
                  fc.string({ maxLength: 5 }),
                ),
                {
                  maxLength: 10,
                },
              )
              .map((pieces) => pieces.join('')),
          ),
          (value) =>
            onlyTypedErrors(() => {
              const volume = parseVolume(value);
              if (typeof volume !== 'object' || volume === null) throw new Error('parseVolume returned no object');
            }),
        ),
        { numRuns, seed },
      ),
  },
  {
    name: 'Marathon app id rules',
    run: async (numRuns, seed) =>
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string(),
            fc
              .array(
                fc.oneof(
                  fc.stringMatching(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/),
                  fc.constantFrom('.', '..', '', 'A', '-x'),
                ),
                { maxLength: 6 },
              )
              .map((segments) => `/${segments.join('/')}`),
          ),
          (value) => {
            const errors = appIdErrors(value);
            if (!Array.isArray(errors) || errors.some((error) => typeof error !== 'string')) {
              throw new Error(`appIdErrors(${JSON.stringify(value)}) did not return a list of messages`);
            }
            return true;
          },
        ),
        { numRuns, seed },
      ),
  },
];
