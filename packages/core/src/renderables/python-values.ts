/**
 * Python's view of JavaScript values, so that rendered text is byte-identical to Buildbot's.
 *
 * Mapping (documented in the core README, "Renderables"):
 * - `null` and `undefined` are `None`; booleans are `bool`; strings are `str`;
 * - a number that is a safe integer is an `int`, any other number is a `float`; a bigint is an `int`;
 * - arrays are `list`, plain objects and `Map`s are `dict`, `Set`s are `set`;
 * - anything else is an opaque object whose `str()` is its own `toString()` when it defines one.
 */

/** A Python exception raised while emulating Python semantics (`%` formatting, operators). */
export class PythonException extends Error {
  readonly pythonType: string;

  constructor(pythonType: string, message: string) {
    super(message);
    this.name = 'PythonException';
    this.pythonType = pythonType;
  }

  /** The exception as Python's traceback prints its last line: `TypeError: …`. */
  describe(): string {
    return `${this.pythonType}: ${this.message}`;
  }
}

/** True for `{}`-literal objects and `Object.create(null)` objects (Python dicts). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Python's truth value of `value` (`NaN` is truthy in Python, empty containers are falsy). */
export function pythonTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
    case 'bigint':
      return value !== 0n;
    case 'string':
      return value.length > 0;
    case 'object':
      if (Array.isArray(value)) return value.length > 0;
      if (value instanceof Map || value instanceof Set) return value.size > 0;
      if (isPlainObject(value)) {
        for (const _ in value) return true;
        return false;
      }
      return true;
    default:
      return true;
  }
}

/** True when `value` is a Python `int` (bool included, as in Python). */
export function isPythonInt(value: unknown): value is number | bigint | boolean {
  return typeof value === 'boolean' || typeof value === 'bigint' || Number.isSafeInteger(value);
}

/** True when `value` is a Python `float`: a number that is not a safe integer. */
export function isPythonFloat(value: unknown): value is number {
  return typeof value === 'number' && !Number.isSafeInteger(value);
}

/** Python's `type(value).__name__`. */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isSafeInteger(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'str';
    case 'function':
      return 'function';
    case 'symbol':
      return 'symbol';
    default:
      if (Array.isArray(value)) return 'list';
      if (value instanceof Map || isPlainObject(value)) return 'dict';
      if (value instanceof Set) return 'set';
      return (value as object).constructor?.name ?? 'object';
  }
}

/** Python's `str(value)`. */
export function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value);
}

/** Python's `repr(value)`. */
export function pythonRepr(value: unknown): string {
  return repr(value, []);
}

/** Python's `ascii(value)`: `repr` with every non-ASCII character backslash-escaped. */
export function pythonAscii(value: unknown): string {
  return backslashReplace(pythonRepr(value));
}

function repr(value: unknown, ancestors: object[]): string {
  if (value === null || value === undefined) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return Number.isSafeInteger(value) ? String(value === 0 ? 0 : value) : floatRepr(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return stringRepr(value);
    case 'function':
      return `<function ${value.name || '<lambda>'}>`;
    case 'symbol':
      return value.toString();
    default:
      break;
  }
  const object = value as object;
  const isList = Array.isArray(object);
  const isDict = object instanceof Map || isPlainObject(object);
  const isSet = object instanceof Set;
  if (!isList && !isDict && !isSet) return opaqueRepr(object);
  if (ancestors.includes(object)) return isList ? '[...]' : '{...}';
  ancestors.push(object);
  let text: string;
  if (isList) {
    text = `[${(object as unknown[]).map((item) => repr(item, ancestors)).join(', ')}]`;
  } else if (isSet) {
    const items = [...(object as Set<unknown>)].map((item) => repr(item, ancestors));
    text = items.length === 0 ? 'set()' : `{${items.join(', ')}}`;
  } else {
    const entries = object instanceof Map ? [...object.entries()] : Object.entries(object);
    text = `{${entries.map(([key, item]) => `${repr(key, ancestors)}: ${repr(item, ancestors)}`).join(', ')}}`;
  }
  ancestors.pop();
  return text;
}

function opaqueRepr(object: object): string {
  const own = (object as { toString?: unknown }).toString;
  if (typeof own === 'function' && own !== Object.prototype.toString) return String(object);
  return `<${object.constructor?.name ?? 'object'} object>`;
}

/** Python's `repr(float)`: the shortest round-tripping digits, exponent form outside [1e-4, 1e16). */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument yields the shortest round-tripping digits, like Python's repr.
  const [mantissa = '', exponentText = '0'] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const integer = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1) || '0';
    return `${sign}${integer}.${fraction}`;
  }
  const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${head}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

// Python's str.isprintable(): false for these general categories, except the ASCII space.
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
const NEEDS_ESCAPE = /[\\'"\u0000-\u001f\u007f-\uffff]/;

/** Python's `repr(str)`: quotes chosen like CPython, non-printable characters escaped. */
export function stringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  if (!NEEDS_ESCAPE.test(text)) return `'${text}'`;
  let out = quote;
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    if (character === quote || character === '\\') out += `\\${character}`;
    else if (character === '\t') out += '\\t';
    else if (character === '\n') out += '\\n';
    else if (character === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else if (code < 0x7f) out += character;
    else if (character !== ' ' && NON_PRINTABLE.test(character)) out += escapeCodePoint(code);
    else out += character;
  }
  return out + quote;
}

function backslashReplace(text: string): string {
  if (!/[^\u0000-\u007f]/.test(text)) return text;
  let out = '';
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    out += code < 0x80 ? character : escapeCodePoint(code);
  }
  return out;
}

function escapeCodePoint(code: number): string {
  if (code <= 0xff) return `\\x${hex(code, 2)}`;
  if (code <= 0xffff) return `\\u${hex(code, 4)}`;
  return `\\U${hex(code, 8)}`;
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}
