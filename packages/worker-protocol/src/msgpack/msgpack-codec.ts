import { Encoder } from '@msgpack/msgpack';
import { WorkerProtocolError } from '../errors.js';

/** A decoded msgpack value. Maps become null-prototype objects, so no key (not even `__proto__`) reaches a prototype. */
export type MsgpackValue = null | boolean | number | bigint | string | Uint8Array | MsgpackValue[] | MsgpackMap;
export interface MsgpackMap {
  [key: string]: MsgpackValue;
}

export interface DecodeLimits {
  /** Nesting depth of arrays and maps; deeper frames are refused (default 64). */
  readonly maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 64;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes one msgpack value that must fill `bytes` exactly. Written here rather than taken from
 * `@msgpack/msgpack` because that decoder builds maps on `Object.prototype` and refuses a
 * `__proto__` key, which a worker may legitimately send (an environment variable, an info file).
 * Any malformed input throws a `WorkerProtocolError`.
 */
export function decodeMsgpack(bytes: Uint8Array, limits: DecodeLimits = {}): MsgpackValue {
  const reader = new Reader(bytes, limits.maxDepth ?? DEFAULT_MAX_DEPTH);
  const value = reader.value(0);
  if (reader.offset !== bytes.length) {
    throw decodeError(`${bytes.length - reader.offset} bytes after the end of the msgpack value`);
  }
  return value;
}

/** Decodes a frame that must be a map (every msgpack_experimental_v7 message is one). */
export function decodeMsgpackMap(bytes: Uint8Array, limits: DecodeLimits = {}): MsgpackMap {
  const value = decodeMsgpack(bytes, limits);
  if (!isMsgpackMap(value)) throw decodeError(`a message must be a msgpack map, got ${describe(value)}`);
  return value;
}

export function isMsgpackMap(value: unknown): value is MsgpackMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

const encoder = new Encoder({ useBigInt64: true, ignoreUndefined: true });

/**
 * Encodes like msgpack-python's `packb(..., use_bin_type=True)`: text as str, `Uint8Array` as bin,
 * safe integers in the smallest int form, other numbers as float64, keys in insertion order.
 */
export function encodeMsgpack(value: unknown): Uint8Array {
  return encoder.encode(value);
}

function decodeError(message: string, limit?: string): WorkerProtocolError {
  return new WorkerProtocolError(`msgpack: invalid frame: ${message}.`, limit === undefined ? {} : { limit });
}

function describe(value: MsgpackValue): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bin';
  return typeof value;
}

class Reader {
  offset = 0;
  readonly #view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    readonly maxDepth: number,
  ) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #need(count: number): number {
    const start = this.offset;
    if (count > this.bytes.length - start) throw decodeError('truncated frame');
    this.offset = start + count;
    return start;
  }

  #u8(): number {
    return this.#view.getUint8(this.#need(1));
  }
  #u16(): number {
    return this.#view.getUint16(this.#need(2));
  }
  #u32(): number {
    return this.#view.getUint32(this.#need(4));
  }

  #bytes(length: number): Uint8Array {
    const start = this.#need(length);
    // A copy, not a view: the frame may be a pooled Buffer.
    return new Uint8Array(this.bytes.subarray(start, start + length));
  }

  #str(length: number): string {
    const start = this.#need(length);
    try {
      return utf8.decode(this.bytes.subarray(start, start + length));
    } catch {
      throw decodeError('a str is not valid UTF-8');
    }
  }

  #array(length: number, depth: number): MsgpackValue[] {
    if (length > this.bytes.length - this.offset) throw decodeError('truncated frame');
    const items: MsgpackValue[] = [];
    for (let index = 0; index < length; index++) items.push(this.value(depth + 1));
    return items;
  }

  #map(length: number, depth: number): MsgpackMap {
    if (length * 2 > this.bytes.length - this.offset) throw decodeError('truncated frame');
    const map: MsgpackMap = Object.create(null);
    for (let index = 0; index < length; index++) {
      const key = this.value(depth + 1);
      let name: string;
      if (typeof key === 'string') name = key;
      else if (typeof key === 'number' && Number.isInteger(key)) name = String(key);
      else throw decodeError(`a map key must be a str, got ${describe(key)}`);
      map[name] = this.value(depth + 1);
    }
    return map;
  }

  value(depth: number): MsgpackValue {
    if (depth > this.maxDepth) throw decodeError(`nesting deeper than ${this.maxDepth}`, 'maxDepth');
    const type = this.#u8();
    if (type <= 0x7f) return type;
    if (type >= 0xe0) return type - 0x100;
    if (type >= 0xa0 && type <= 0xbf) return this.#str(type & 0x1f);
    if (type >= 0x90 && type <= 0x9f) return this.#array(type & 0x0f, depth);
    if (type >= 0x80 && type <= 0x8f) return this.#map(type & 0x0f, depth);
    const view = this.#view;
    switch (type) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.#bytes(this.#u8());
      case 0xc5:
        return this.#bytes(this.#u16());
      case 0xc6:
        return this.#bytes(this.#u32());
      case 0xca:
        return view.getFloat32(this.#need(4));
      case 0xcb:
        return view.getFloat64(this.#need(8));
      case 0xcc:
        return this.#u8();
      case 0xcd:
        return this.#u16();
      case 0xce:
        return this.#u32();
      case 0xcf:
        return safeOrBig(view.getBigUint64(this.#need(8)));
      case 0xd0:
        return view.getInt8(this.#need(1));
      case 0xd1:
        return view.getInt16(this.#need(2));
      case 0xd2:
        return view.getInt32(this.#need(4));
      case 0xd3:
        return safeOrBig(view.getBigInt64(this.#need(8)));
      case 0xd9:
        return this.#str(this.#u8());
      case 0xda:
        return this.#str(this.#u16());
      case 0xdb:
        return this.#str(this.#u32());
      case 0xdc:
        return this.#array(this.#u16(), depth);
      case 0xdd:
        return this.#array(this.#u32(), depth);
      case 0xde:
        return this.#map(this.#u16(), depth);
      case 0xdf:
        return this.#map(this.#u32(), depth);
      default:
        // 0xc1 is never used; 0xc7–0xc9 and 0xd4–0xd8 are ext types, which neither Buildbot side sends.
        throw decodeError(`type byte 0x${type.toString(16)} is not used by the protocol`);
    }
  }
}

function safeOrBig(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
}
