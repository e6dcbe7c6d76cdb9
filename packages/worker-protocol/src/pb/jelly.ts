import { WorkerProtocolError } from '../errors.js';
import { BananaFloat, type BananaValue, bytesEqual, bytesOf } from './banana.js';

/**
 * Jelly, the subset Buildbot uses: None, booleans, ints of any size, floats, bytes, unicode,
 * lists, tuples, dicts, sets, shared references, remote/local references and the copied failure.
 * Every other type tag is refused, as Twisted's `globalSecurity` refuses it.
 */

/** A Python tuple (kept apart from lists so that re-encoding gives the same bytes). */
export class JellyTuple {
  constructor(readonly items: unknown[]) {}
}

/** A float that must travel as a Banana FLOAT even when it is a whole number. */
export class JellyFloat {
  constructor(readonly value: number) {}
}

/** `("unpersistable" reason)`: the sender could not serialise a value. */
export class JellyUnpersistable {
  constructor(readonly reason: string) {}
}

/** A Copyable the peer sent: its type tag and its state. Only the PB failure tag is accepted. */
export class JellyCopy {
  constructor(
    readonly typeTag: string,
    readonly state: unknown,
  ) {}
}

/** Jelly dictionaries decode to `Map` (any key type, insertion order, no prototype). */
export type JellyDict = Map<unknown, unknown>;

export const COPYABLE_FAILURE_TAG = 'twisted.spread.pb.CopyableFailure';

const ALLOWED_COPY_TAGS = new Set([COPYABLE_FAILURE_TAG]);

/** How jelly reaches the broker: references to objects on either side. */
export interface JellyReferences {
  /** `(remote n)` received: a proxy for the peer's object `n`. */
  remote(luid: number): unknown;
  /** `(local n)` received: our own object `n`. */
  local(luid: number): unknown;
  /** Sending: the luid for one of our objects (registering it), or `undefined` when `value` is not ours to reference. */
  localIdOf(value: unknown): number | undefined;
  /** Sending: the peer's luid when `value` is a proxy for one of its objects. */
  remoteIdOf(value: unknown): number | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function tagOf(value: BananaValue): string | undefined {
  if (!(value instanceof Uint8Array) || value.length > 40) return undefined;
  return Buffer.from(value.buffer, value.byteOffset, value.length).toString('latin1');
}

function fail(message: string): never {
  throw new WorkerProtocolError(`Jelly: ${message}`);
}

function expectInt(value: BananaValue | undefined, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(`${what} is not an integer`);
  return value;
}

function expectBytes(value: BananaValue | undefined, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) fail(`${what} is not a byte string`);
  return value;
}

/**
 * Unjelly: S-expression → JavaScript value. Floats become numbers, or `JellyFloat` with
 * `keepFloats` (so that re-encoding gives the same bytes).
 */
export function unjelly(
  sexp: BananaValue,
  references: JellyReferences,
  options: { keepFloats?: boolean } = {},
): unknown {
  const shared = new Map<number, unknown>();
  const decode = (value: BananaValue, referenceId?: number): unknown => {
    if (typeof value === 'number' || typeof value === 'bigint') return value;
    if (value instanceof BananaFloat) return options.keepFloats ? new JellyFloat(value.value) : value.value;
    if (value instanceof Uint8Array) return value;
    const head = value[0];
    if (head === undefined) fail('empty list');
    const tag = tagOf(head);
    if (tag === undefined) fail('list without a type tag');
    switch (tag) {
      case 'None':
        return null;
      case 'boolean': {
        const text = value[1];
        if (bytesEqual(text, 'true')) return true;
        if (bytesEqual(text, 'false')) return false;
        return fail('boolean is neither true nor false');
      }
      case 'unicode':
        return utf8.decode(expectBytes(value[1], 'unicode payload'));
      case 'list': {
        const items: unknown[] = [];
        if (referenceId !== undefined) shared.set(referenceId, items);
        for (let index = 1; index < value.length; index += 1) items.push(decode(value[index] as BananaValue));
        return items;
      }
      case 'tuple': {
        const tuple = new JellyTuple([]);
        if (referenceId !== undefined) shared.set(referenceId, tuple);
        for (let index = 1; index < value.length; index += 1) tuple.items.push(decode(value[index] as BananaValue));
        return tuple;
      }
      case 'set':
      case 'frozenset': {
        const set = new Set<unknown>();
        if (referenceId !== undefined) shared.set(referenceId, set);
        for (let index = 1; index < value.length; index += 1) set.add(decode(value[index] as BananaValue));
        return set;
      }
      case 'dictionary': {
        const dict: JellyDict = new Map();
        if (referenceId !== undefined) shared.set(referenceId, dict);
        for (let index = 1; index < value.length; index += 1) {
          const pair = value[index];
          if (!Array.isArray(pair) || pair.length !== 2) fail('dictionary entry is not a pair');
          const key = decode(pair[0] as BananaValue);
          dict.set(key, decode(pair[1] as BananaValue));
        }
        return dict;
      }
      case 'reference': {
        const id = expectInt(value[1], 'reference id');
        const inner = value[2];
        if (value.length !== 3 || inner === undefined) fail('reference without its value');
        if (shared.has(id)) fail(`reference ${id} defined twice`);
        const decoded = decode(inner, id);
        shared.set(id, decoded);
        return decoded;
      }
      case 'dereference': {
        const id = expectInt(value[1], 'dereference id');
        if (!shared.has(id)) fail(`dereference ${id} before its reference`);
        return shared.get(id);
      }
      case 'remote':
        return references.remote(expectInt(value[1], 'remote luid'));
      case 'local':
        return references.local(expectInt(value[1], 'local luid'));
      case 'unpersistable':
        return new JellyUnpersistable(utf8.decode(expectBytes(value[1], 'unpersistable reason')));
      default:
        if (ALLOWED_COPY_TAGS.has(tag) && value.length === 2) {
          return new JellyCopy(tag, decode(value[1] as BananaValue));
        }
        return fail(`type tag "${tag.slice(0, 40)}" is not allowed`);
    }
  };
  return decode(sexp);
}

const T_NONE = [bytesOf('None')];
const T_TRUE = [bytesOf('boolean'), bytesOf('true')];
const T_FALSE = [bytesOf('boolean'), bytesOf('false')];
const T_UNICODE = bytesOf('unicode');
const T_LIST = bytesOf('list');
const T_TUPLE = bytesOf('tuple');
const T_DICTIONARY = bytesOf('dictionary');
const T_REMOTE = bytesOf('remote');
const T_LOCAL = bytesOf('local');
const T_SET = bytesOf('set');
const T_UNPERSISTABLE = bytesOf('unpersistable');

/**
 * Jelly: JavaScript value → S-expression. `string` → unicode, `Uint8Array` → bytes, arrays →
 * list, `JellyTuple` → tuple, `Map` and plain objects → dictionary (`undefined` members are left
 * out), `null`/`undefined` → None, non-integer numbers and `JellyFloat` → float. Objects the
 * broker knows become `(remote n)` / `(local n)`.
 */
export function jelly(value: unknown, references: JellyReferences): BananaValue {
  const encode = (item: unknown): BananaValue => {
    if (item === null || item === undefined) return T_NONE;
    switch (typeof item) {
      case 'boolean':
        return item ? T_TRUE : T_FALSE;
      case 'number':
        return Number.isInteger(item) ? item : new BananaFloat(item);
      case 'bigint':
        return item;
      case 'string':
        return [T_UNICODE, Buffer.from(item, 'utf8')];
      case 'object':
        break;
      default:
        throw new TypeError(`cannot jelly a ${typeof item}`);
    }
    if (item instanceof Uint8Array) return item;
    if (item instanceof JellyFloat) return new BananaFloat(item.value);
    if (Array.isArray(item)) return [T_LIST, ...item.map(encode)];
    if (item instanceof JellyTuple) return [T_TUPLE, ...item.items.map(encode)];
    if (item instanceof JellyCopy) return [bytesOf(item.typeTag), encode(item.state)];
    if (item instanceof JellyUnpersistable) return [T_UNPERSISTABLE, Buffer.from(item.reason, 'utf8')];
    if (item instanceof Set) return [T_SET, ...[...item].map(encode)];
    if (item instanceof Map) return [T_DICTIONARY, ...[...item].map(([key, entry]) => [encode(key), encode(entry)])];
    const remoteId = references.remoteIdOf(item);
    if (remoteId !== undefined) return [T_LOCAL, remoteId];
    const localId = references.localIdOf(item);
    if (localId !== undefined) return [T_REMOTE, localId];
    const prototype = Object.getPrototypeOf(item);
    if (prototype !== Object.prototype && prototype !== null) throw new TypeError('cannot jelly a class instance');
    const pairs: BananaValue[] = [T_DICTIONARY];
    for (const [key, entry] of Object.entries(item)) {
      if (entry !== undefined) pairs.push([encode(key), encode(entry)]);
    }
    return pairs;
  };
  return encode(value);
}

/**
 * The plain form used above the seam: tuples become arrays, dictionaries null-prototype objects
 * (byte keys as UTF-8 text), byte strings stay `Uint8Array`. Other objects are kept as they are.
 */
export function toPlain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof JellyTuple) return value.items.map(toPlain);
  if (value instanceof Map) {
    const result: Record<string, unknown> = Object.create(null);
    for (const [key, entry] of value) {
      result[typeof key === 'string' ? key : key instanceof Uint8Array ? utf8.decode(key) : String(key)] =
        toPlain(entry);
    }
    return result;
  }
  if (value instanceof Set) return [...value].map(toPlain);
  return value;
}

/** Text from a value the worker may send as unicode or as bytes. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return utf8.decode(value);
  return undefined;
}
