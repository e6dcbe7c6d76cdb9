import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorkerProtocolError } from '../errors.js';
import { BananaDecoder, type BananaValue, DEFAULT_BANANA_LIMITS, encodeBanana } from './banana.js';
import { bananaishBytes, bananaValue, jellyValue, normalisedBanana, splitAt } from './codec.test-support.js';
import { jelly, unjelly } from './jelly.js';
import { PRE_LOGIN_LIMITS } from './pb-listener.js';
import { markerReferences } from './transcript.test-support.js';

type Outcome = { values: BananaValue[]; error?: string };

function decodeChunks(chunks: readonly Uint8Array[], limits = DEFAULT_BANANA_LIMITS): Outcome {
  const values: BananaValue[] = [];
  const decoder = new BananaDecoder((value) => values.push(value), limits);
  decoder.vocabulary = true;
  try {
    for (const chunk of chunks) decoder.feed(chunk);
    return { values };
  } catch (error) {
    if (!(error instanceof WorkerProtocolError)) throw error;
    return { values, error: error.message };
  }
}

describe('Banana and Jelly properties', () => {
  it('encode then decode gives the value back, however the bytes are split', () => {
    fc.assert(
      fc.property(
        fc.array(bananaValue, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (values, cuts) => {
          const bytes = Uint8Array.from(Buffer.concat(values.map((value) => encodeBanana(value))));
          const outcome = decodeChunks(splitAt(bytes, cuts));
          expect(outcome.error).toBeUndefined();
          expect(outcome.values.map(normalisedBanana)).toEqual(values.map(normalisedBanana));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('jelly then unjelly gives the value back', () => {
    fc.assert(
      fc.property(jellyValue, (value) => {
        const bytes = encodeBanana(jelly(value, markerReferences));
        const [decoded] = decodeChunks([bytes]).values;
        expect(unjelly(decoded as BananaValue, markerReferences)).toEqual(value);
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary byte streams decode, or fail with a WorkerProtocolError, identically however they are split', () => {
    fc.assert(
      fc.property(bananaishBytes, fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        const whole = decodeChunks([bytes]);
        const split = decodeChunks(splitAt(bytes, cuts));
        expect(split).toEqual(whole);
        for (const value of whole.values) {
          try {
            unjelly(value, markerReferences);
          } catch (error) {
            expect(error).toBeInstanceOf(WorkerProtocolError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('before login, no expression can make the decoder hold more than the pre-login message limit', () => {
    fc.assert(
      fc.property(bananaValue, fc.integer({ min: 0, max: 2 ** 20 }), (before, claimed) => {
        // After a valid expression, a length prefix claiming up to 1 MiB: refused before any allocation of that size.
        const bytes = encodeBanana(before);
        const prefix: number[] = [];
        let rest = claimed;
        do {
          prefix.push(rest % 128);
          rest = Math.floor(rest / 128);
        } while (rest > 0);
        const hostile = Uint8Array.from([...bytes, ...prefix, 0x82]);
        const outcome = decodeChunks([hostile], PRE_LOGIN_LIMITS);
        if (claimed > PRE_LOGIN_LIMITS.maxStringLength) expect(outcome.error).toMatch(/longer than|larger than/);
        else expect(outcome.error).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});
