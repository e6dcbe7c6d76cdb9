import { encode as referenceEncode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorkerProtocolError } from '../errors.js';
import { decodeMsgpack, decodeMsgpackMap, encodeMsgpack, type MsgpackValue } from './msgpack-codec.js';
import { toPlain } from './testing/transcripts.js';

const nullPrototype = (entries: Array<[string, unknown]>) => {
  const map: Record<string, unknown> = Object.create(null);
  for (const [key, value] of entries) map[key] = value;
  return map;
};

/** Values the protocol carries; map keys include the ones that attack prototypes. */
const { value: msgpackValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 63n), max: -(2n ** 53n) }),
    fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
    fc.double({ noNaN: true }).map((number) => (Object.is(number, -0) ? 0 : number)),
    fc.string({ unit: 'grapheme' }),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc
      .uniqueArray(
        fc.tuple(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype')), tie('value')),
        {
          maxLength: 5,
          selector: ([key]) => key,
        },
      )
      .map(nullPrototype),
  ),
}));

describe('msgpack codec', () => {
  it('decodes what msgpack encodes, keys such as __proto__ included, into null-prototype maps', () => {
    fc.assert(
      fc.property(msgpackValue, (value) => {
        const decoded = decodeMsgpack(encodeMsgpack(value));
        expect(toPlain(decoded)).toEqual(toPlain(value));
      }),
      { numRuns: 500 },
    );
  });

  it('never lets a __proto__ key reach a prototype', () => {
    const frame = encodeMsgpack(
      nullPrototype([
        ['op', 'x'],
        ['__proto__', nullPrototype([['polluted', true]])],
      ]),
    );
    const decoded = decodeMsgpackMap(frame);
    expect(Object.getPrototypeOf(decoded)).toBeNull();
    expect(Object.keys(decoded)).toEqual(['op', '__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(decoded, '__proto__')).toBe(true);
  });

  it('turns arbitrary bytes into a value or a typed decode error, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          decodeMsgpack(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(WorkerProtocolError);
          expect((error as WorkerProtocolError).code).toBe('WORKER_PROTOCOL_ERROR');
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses corrupted frames of real messages with a typed error', () => {
    const message = referenceEncode({
      op: 'update',
      command_id: '7',
      args: [['stdout', ['hi\n', [2], [1.5]]]],
      seq_number: 3,
    });
    fc.assert(
      fc.property(
        fc.nat(message.length - 1),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(message.length),
        (at, byte, cut) => {
          const corrupted = Uint8Array.from(message);
          corrupted[at] = byte;
          for (const candidate of [corrupted, message.subarray(0, cut)]) {
            try {
              decodeMsgpackMap(candidate);
            } catch (error) {
              expect(error).toBeInstanceOf(WorkerProtocolError);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('bounds nesting instead of exhausting the stack', () => {
    const deep = new Uint8Array(100_000).fill(0x91);
    expect(() => decodeMsgpack(deep)).toThrow(/nesting deeper than 64/);
    expect(() => decodeMsgpack(deep)).toThrow(expect.objectContaining({ limit: 'maxDepth' }));
  });

  it('refuses declared lengths larger than the frame without allocating them', () => {
    expect(() => decodeMsgpack(Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff]))).toThrow(/truncated/);
    expect(() => decodeMsgpack(Uint8Array.from([0xdf, 0xff, 0xff, 0xff, 0xff]))).toThrow(/truncated/);
    expect(() => decodeMsgpack(Uint8Array.from([0xc6, 0xff, 0xff, 0xff, 0xff]))).toThrow(/truncated/);
  });

  it('refuses what the protocol never sends: ext types, non-string keys, invalid UTF-8, trailing bytes', () => {
    expect(() => decodeMsgpack(Uint8Array.from([0xd4, 0x01, 0x00]))).toThrow(/not used by the protocol/);
    expect(() => decodeMsgpack(Uint8Array.from([0x81, 0xc0, 0x01]))).toThrow(/map key must be a str/);
    expect(() => decodeMsgpack(Uint8Array.from([0xa1, 0xff]))).toThrow(/not valid UTF-8/);
    expect(() => decodeMsgpack(Uint8Array.from([0xc0, 0xc0]))).toThrow(/after the end/);
    expect(() => decodeMsgpackMap(Uint8Array.from([0x90]))).toThrow(/must be a msgpack map, got an array/);
  });

  it('keeps integers beyond 2^53 exact as bigint and bin values as bytes', () => {
    const value: MsgpackValue = decodeMsgpack(encodeMsgpack([2n ** 60n, -(2n ** 60n), Uint8Array.from([1, 2])]));
    expect(value).toEqual([2n ** 60n, -(2n ** 60n), Uint8Array.from([1, 2])]);
  });
});
