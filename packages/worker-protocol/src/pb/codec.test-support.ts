import fc from 'fast-check';
import { BananaFloat, type BananaValue, PB_VOCABULARY } from './banana.js';
import { JellyTuple } from './jelly.js';

/**
 * fast-check arbitraries for the PB codec, shared by the property tests and `pnpm fuzz`. Byte
 * streams are built from Banana-shaped pieces (prefixes, type bytes, vocabulary words) far more
 * often than uniform random bytes would produce them.
 */

const MAGNITUDE = 2n ** 448n - 1n;

const bananaLeaf: fc.Arbitrary<BananaValue> = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.bigInt({ min: -MAGNITUDE, max: MAGNITUDE }),
  fc.uint8Array({ maxLength: 40 }),
  fc.constantFrom(...PB_VOCABULARY.slice(1)).map((word) => Buffer.from(word, 'latin1') as Uint8Array),
  fc.double().map((value) => new BananaFloat(value)),
);

export const bananaValue: fc.Arbitrary<BananaValue> = fc.letrec<{ value: BananaValue }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, bananaLeaf, fc.array(tie('value'), { maxLength: 5 })),
})).value;

/** What decoding an encoded value gives back: integers within 2^53 as numbers, larger as bigints. */
export function normalisedBanana(value: BananaValue): BananaValue {
  if (typeof value === 'bigint')
    return value >= -BigInt(Number.MAX_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value;
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (Array.isArray(value)) return value.map(normalisedBanana);
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  return value;
}

export const jellyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc
      .bigInt({ min: -MAGNITUDE, max: MAGNITUDE })
      .filter((value) => value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)),
    fc.string(),
    fc.uint8Array({ maxLength: 20 }).map((bytes) => Uint8Array.from(bytes)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => new JellyTuple(items)),
    fc
      .array(fc.tuple(fc.string({ maxLength: 8 }), tie('value')), { maxLength: 4 })
      .map((pairs) => new Map<unknown, unknown>(pairs)),
  ),
})).value;

const piece = fc.oneof(
  fc.uint8Array({ maxLength: 8 }),
  fc.constantFrom(0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0xff).map((byte) => Uint8Array.of(byte)),
  fc.integer({ min: 0, max: 0x7f }).map((digit) => Uint8Array.of(digit)),
  fc
    .constantFrom('1a87', '1b87', '1c87', '1d87', '1387', '0587', '0b87', '0887', '1087', '0187')
    .map((hex) => Uint8Array.from(Buffer.from(hex, 'hex'))),
  fc
    .constantFrom('02827062', '028013870681', '0780', '0280', '0180', '7f7f7f7f7f7f7f7f82')
    .map((hex) => Uint8Array.from(Buffer.from(hex, 'hex'))),
);

/** Byte streams built from Banana-shaped pieces. */
export const bananaishBytes: fc.Arbitrary<Uint8Array> = fc
  .array(piece, { maxLength: 40 })
  .map((pieces) => Uint8Array.from(Buffer.concat(pieces)));

/** Split points for a stream of `length` bytes. */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}
