import { WorkerProtocolError } from '../errors.js';

/**
 * Banana, the byte encoding under Perspective Broker: self-delimiting S-expressions of lists,
 * integers, byte strings and floats (see Twisted's banana.rst). The decoder is a byte-at-a-time
 * state machine, so any split of the stream decodes the same, and every allocation it makes is
 * bounded by the limits below before it is made.
 */

export const LIST = 0x80;
export const INT = 0x81;
export const STRING = 0x82;
export const NEG = 0x83;
export const FLOAT = 0x84;
export const LONGINT = 0x85;
export const LONGNEG = 0x86;
export const VOCAB = 0x87;

/** Twisted's `SIZE_LIMIT`: the longest string (bytes) and list (elements) either side accepts. */
export const BANANA_SIZE_LIMIT = 640 * 1024;
/** Twisted's `prefixLimit`: an integer prefix has at most 64 base-128 digits (448 bits). */
export const PREFIX_LIMIT = 64;

/** The `pb` dialect vocabulary: index → word. A byte string equal to a word travels as `<index> 87`. */
export const PB_VOCABULARY: readonly string[] = [
  '',
  'None',
  'class',
  'dereference',
  'reference',
  'dictionary',
  'function',
  'instance',
  'list',
  'persistent',
  'module',
  'tuple',
  'unpersistable',
  'copy',
  'cache',
  'cached',
  'remote',
  'local',
  'lcache',
  'version',
  'login',
  'password',
  'challenge',
  'logged_in',
  'not_logged_in',
  'cachemessage',
  'message',
  'answer',
  'error',
  'decref',
  'decache',
  'uncache',
];

const vocabularyBytes: readonly Uint8Array[] = PB_VOCABULARY.map((word) => Buffer.from(word, 'latin1'));
const vocabularyIndex = new Map<string, number>(PB_VOCABULARY.map((word, index) => [word, index] as const).slice(1));
const LONGEST_WORD = Math.max(...PB_VOCABULARY.map((word) => word.length));

/** A FLOAT element (kept distinct from integers so that re-encoding gives the same bytes). */
export class BananaFloat {
  constructor(readonly value: number) {}
}

/** One Banana expression: integers (`bigint` beyond 2^53), byte strings, floats and lists. */
export type BananaValue = number | bigint | Uint8Array | BananaFloat | BananaValue[];

export interface BananaLimits {
  /** Longest byte string, in bytes (at most `BANANA_SIZE_LIMIT`). */
  readonly maxStringLength: number;
  /** Most elements one list may announce (at most `BANANA_SIZE_LIMIT`). */
  readonly maxListLength: number;
  /** Deepest list nesting. */
  readonly maxDepth: number;
  /** Most bytes one top-level expression may span. */
  readonly maxMessageBytes: number;
}

export const DEFAULT_BANANA_LIMITS: BananaLimits = {
  maxStringLength: BANANA_SIZE_LIMIT,
  maxListLength: BANANA_SIZE_LIMIT,
  maxDepth: 64,
  maxMessageBytes: 16 * 1024 * 1024,
};

interface OpenList {
  readonly items: BananaValue[];
  remaining: number;
}

enum Mode {
  Prefix = 0,
  StringBody = 1,
  FloatBody = 2,
}

/** Streaming decoder: `feed` chunks in arrival order; each complete top-level expression goes to `onExpression`. */
export class BananaDecoder {
  limits: BananaLimits;
  /** VOCAB elements are legal only once the `pb` dialect is selected. */
  vocabulary = false;

  readonly #onExpression: (value: BananaValue) => void;
  readonly #stack: OpenList[] = [];
  #mode: Mode = Mode.Prefix;
  readonly #digits = new Uint8Array(PREFIX_LIMIT);
  #digitCount = 0;
  #body: Uint8Array = new Uint8Array(0);
  #bodyFilled = 0;
  readonly #float = new Uint8Array(8);
  #messageBytes = 0;
  #failed: WorkerProtocolError | undefined;

  constructor(onExpression: (value: BananaValue) => void, limits: BananaLimits = DEFAULT_BANANA_LIMITS) {
    this.#onExpression = onExpression;
    this.limits = limits;
  }

  /** True between expressions (nothing partial is buffered). */
  get idle(): boolean {
    return this.#stack.length === 0 && this.#mode === Mode.Prefix && this.#digitCount === 0;
  }

  /** Decodes `chunk`. Throws `WorkerProtocolError` on malformed or over-limit input; the decoder is then unusable. */
  feed(chunk: Uint8Array): void {
    if (this.#failed) throw this.#failed;
    try {
      this.#feed(chunk);
    } catch (error) {
      if (error instanceof WorkerProtocolError) this.#failed = error;
      throw error;
    }
  }

  #feed(chunk: Uint8Array): void {
    let offset = 0;
    const length = chunk.length;
    while (offset < length) {
      if (this.#mode === Mode.StringBody) {
        const take = Math.min(this.#body.length - this.#bodyFilled, length - offset);
        this.#count(take);
        this.#body.set(chunk.subarray(offset, offset + take), this.#bodyFilled);
        this.#bodyFilled += take;
        offset += take;
        if (this.#bodyFilled === this.#body.length) {
          this.#mode = Mode.Prefix;
          const body = this.#body;
          this.#body = new Uint8Array(0);
          this.#emit(body);
        }
        continue;
      }
      if (this.#mode === Mode.FloatBody) {
        const take = Math.min(8 - this.#bodyFilled, length - offset);
        this.#count(take);
        this.#float.set(chunk.subarray(offset, offset + take), this.#bodyFilled);
        this.#bodyFilled += take;
        offset += take;
        if (this.#bodyFilled === 8) {
          this.#mode = Mode.Prefix;
          const view = new DataView(this.#float.buffer, this.#float.byteOffset, 8);
          this.#emit(new BananaFloat(view.getFloat64(0, false)));
        }
        continue;
      }
      const byte = chunk[offset] as number;
      offset += 1;
      this.#count(1);
      if (byte < 0x80) {
        if (this.#digitCount >= PREFIX_LIMIT) {
          throw new WorkerProtocolError(`Banana prefix longer than ${PREFIX_LIMIT} bytes`, { limit: 'prefix' });
        }
        this.#digits[this.#digitCount] = byte;
        this.#digitCount += 1;
        continue;
      }
      offset = this.#typeByte(byte, chunk, offset);
    }
  }

  #count(bytes: number): void {
    this.#messageBytes += bytes;
    if (this.#messageBytes > this.limits.maxMessageBytes) {
      throw new WorkerProtocolError(`Banana expression larger than ${this.limits.maxMessageBytes} bytes`, {
        limit: 'maxMessageBytes',
      });
    }
  }

  /** The prefix as a number when it fits in 2^53, else as a bigint. */
  #prefix(): number | bigint {
    const count = this.#digitCount;
    this.#digitCount = 0;
    if (count <= 7) {
      let value = 0;
      for (let index = count - 1; index >= 0; index -= 1) value = value * 128 + (this.#digits[index] as number);
      return value;
    }
    let value = 0n;
    for (let index = count - 1; index >= 0; index -= 1) value = value * 128n + BigInt(this.#digits[index] as number);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  #size(kind: string, limit: number, limitName: string): number {
    const value = this.#prefix();
    if (typeof value === 'bigint' || value > limit) {
      throw new WorkerProtocolError(`Banana ${kind} longer than ${limit}`, { limit: limitName });
    }
    return value;
  }

  /** Handles one type byte; returns the new offset (strings complete in the same chunk are sliced directly). */
  #typeByte(byte: number, chunk: Uint8Array, offset: number): number {
    switch (byte) {
      case LIST: {
        const count = this.#size('list', Math.min(this.limits.maxListLength, BANANA_SIZE_LIMIT), 'maxListLength');
        if (this.#stack.length >= this.limits.maxDepth) {
          throw new WorkerProtocolError(`Banana lists nested deeper than ${this.limits.maxDepth}`, {
            limit: 'maxDepth',
          });
        }
        if (count === 0) this.#emit([]);
        else this.#stack.push({ items: [], remaining: count });
        return offset;
      }
      case INT:
      case LONGINT:
        this.#emit(this.#prefix());
        return offset;
      case NEG:
      case LONGNEG: {
        const magnitude = this.#prefix();
        this.#emit(typeof magnitude === 'bigint' ? -magnitude : magnitude === 0 ? 0 : -magnitude);
        return offset;
      }
      case STRING: {
        const size = this.#size('string', Math.min(this.limits.maxStringLength, BANANA_SIZE_LIMIT), 'maxStringLength');
        if (this.#messageBytes + size > this.limits.maxMessageBytes) {
          throw new WorkerProtocolError(`Banana expression larger than ${this.limits.maxMessageBytes} bytes`, {
            limit: 'maxMessageBytes',
          });
        }
        if (chunk.length - offset >= size) {
          this.#count(size);
          this.#emit(chunk.slice(offset, offset + size));
          return offset + size;
        }
        this.#body = new Uint8Array(size);
        this.#bodyFilled = 0;
        this.#mode = Mode.StringBody;
        return offset;
      }
      case FLOAT:
        // Twisted ignores a prefix before FLOAT; so do we.
        this.#digitCount = 0;
        this.#bodyFilled = 0;
        this.#mode = Mode.FloatBody;
        return offset;
      case VOCAB: {
        if (!this.vocabulary) throw new WorkerProtocolError('Banana VOCAB element before the pb dialect was selected');
        const index = this.#prefix();
        const word = typeof index === 'number' && index > 0 ? vocabularyBytes[index] : undefined;
        if (word === undefined) throw new WorkerProtocolError(`unknown Banana vocabulary index ${String(index)}`);
        this.#emit(word);
        return offset;
      }
      default:
        throw new WorkerProtocolError(`invalid Banana type byte 0x${byte.toString(16)}`);
    }
  }

  #emit(value: BananaValue): void {
    let current = value;
    for (;;) {
      const top = this.#stack[this.#stack.length - 1];
      if (top === undefined) {
        this.#messageBytes = 0;
        this.#onExpression(current);
        return;
      }
      top.items.push(current);
      top.remaining -= 1;
      if (top.remaining > 0) return;
      this.#stack.pop();
      current = top.items;
    }
  }
}

/** A growable byte buffer for the encoder. */
class ByteWriter {
  #buffer: Uint8Array;
  #length = 0;

  constructor(capacity = 256) {
    this.#buffer = new Uint8Array(capacity);
  }

  #ensure(extra: number): void {
    if (this.#length + extra <= this.#buffer.length) return;
    let capacity = this.#buffer.length * 2;
    while (capacity < this.#length + extra) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = next;
  }

  byte(value: number): void {
    this.#ensure(1);
    this.#buffer[this.#length] = value;
    this.#length += 1;
  }

  bytes(value: Uint8Array): void {
    this.#ensure(value.length);
    this.#buffer.set(value, this.#length);
    this.#length += value.length;
  }

  result(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

const INT_MAX = 2 ** 31 - 1;
const MAGNITUDE_LIMIT = 2n ** 448n;

function writePrefix(writer: ByteWriter, value: number | bigint): void {
  if (typeof value === 'number') {
    if (value === 0) {
      writer.byte(0);
      return;
    }
    let rest = value;
    while (rest > 0) {
      writer.byte(rest % 128);
      rest = Math.floor(rest / 128);
    }
    return;
  }
  if (value === 0n) {
    writer.byte(0);
    return;
  }
  let rest = value;
  while (rest > 0n) {
    writer.byte(Number(rest & 0x7fn));
    rest >>= 7n;
  }
}

function writeInteger(writer: ByteWriter, value: number | bigint): void {
  const negative = value < 0;
  const magnitude = negative ? -value : value;
  if (typeof magnitude === 'bigint' ? magnitude >= MAGNITUDE_LIMIT : !Number.isSafeInteger(magnitude)) {
    if (typeof magnitude === 'number') {
      writeInteger(writer, BigInt(value));
      return;
    }
    throw new RangeError('Banana integers are limited to ±(2^448 − 1)');
  }
  writePrefix(writer, magnitude);
  if (negative) writer.byte(magnitude <= 2 ** 31 ? NEG : LONGNEG);
  else writer.byte(magnitude <= INT_MAX ? INT : LONGINT);
}

function vocabularyIndexOf(value: Uint8Array): number | undefined {
  if (value.length === 0 || value.length > LONGEST_WORD) return undefined;
  return vocabularyIndex.get(Buffer.from(value.buffer, value.byteOffset, value.length).toString('latin1'));
}

function writeValue(writer: ByteWriter, value: BananaValue, vocabulary: boolean): void {
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isInteger(value)) {
      writeFloat(writer, value);
      return;
    }
    writeInteger(writer, value);
    return;
  }
  if (value instanceof Uint8Array) {
    if (vocabulary) {
      const index = vocabularyIndexOf(value);
      if (index !== undefined) {
        writePrefix(writer, index);
        writer.byte(VOCAB);
        return;
      }
    }
    if (value.length > BANANA_SIZE_LIMIT)
      throw new RangeError(`Banana strings are limited to ${BANANA_SIZE_LIMIT} bytes`);
    writePrefix(writer, value.length);
    writer.byte(STRING);
    writer.bytes(value);
    return;
  }
  if (value instanceof BananaFloat) {
    writeFloat(writer, value.value);
    return;
  }
  if (value.length > BANANA_SIZE_LIMIT)
    throw new RangeError(`Banana lists are limited to ${BANANA_SIZE_LIMIT} elements`);
  writePrefix(writer, value.length);
  writer.byte(LIST);
  for (const item of value) writeValue(writer, item, vocabulary);
}

function writeFloat(writer: ByteWriter, value: number): void {
  const body = new Uint8Array(9);
  body[0] = FLOAT;
  new DataView(body.buffer).setFloat64(1, value, false);
  writer.bytes(body);
}

/** Encodes one expression. With `vocabulary` (the `pb` dialect) every byte string equal to a vocabulary word becomes VOCAB, as Twisted does. */
export function encodeBanana(value: BananaValue, vocabulary = true): Uint8Array {
  const writer = new ByteWriter();
  writeValue(writer, value, vocabulary);
  return writer.result();
}

/** Decodes a complete byte sequence into its expressions (for tests and tools). */
export function decodeBananaAll(
  bytes: Uint8Array,
  options: { vocabulary?: boolean; limits?: BananaLimits } = {},
): BananaValue[] {
  const values: BananaValue[] = [];
  const decoder = new BananaDecoder((value) => values.push(value), options.limits);
  decoder.vocabulary = options.vocabulary ?? true;
  decoder.feed(bytes);
  if (!decoder.idle) throw new WorkerProtocolError('Banana input ends inside an expression');
  return values;
}

/** The byte string of a vocabulary word or any latin-1 text, for building expressions. */
export function bytesOf(text: string): Uint8Array {
  const index = vocabularyIndex.get(text);
  return index === undefined ? Buffer.from(text, 'utf8') : (vocabularyBytes[index] as Uint8Array);
}

/** Compares a byte string with ASCII text without allocating a string for long inputs. */
export function bytesEqual(value: unknown, text: string): boolean {
  if (!(value instanceof Uint8Array) || value.length !== text.length) return false;
  for (let index = 0; index < text.length; index += 1) if (value[index] !== text.charCodeAt(index)) return false;
  return true;
}
