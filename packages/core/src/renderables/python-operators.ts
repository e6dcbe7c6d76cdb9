import { applyFormat, compileFormat, type FormatArguments } from './python-format.js';
import { isPlainObject, isPythonInt, PythonException, pythonRepr, pythonTypeName } from './python-values.js';

/**
 * Python's binary operators on rendered values, for the renderables' `eq`, `lt`, `add`, `mul`…
 * (Buildbot's `RenderableOperatorsMixin`). Ints are exact (bigint past 2^53), floats are IEEE
 * doubles, and errors carry Python's messages.
 */
export type PythonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '//' | '%' | 'in';

export function applyPythonOperator(operator: PythonOperator, left: unknown, right: unknown): unknown {
  switch (operator) {
    case '==':
      return pythonEquals(left, right);
    case '!=':
      return !pythonEquals(left, right);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return pythonCompare(operator, left, right);
    case '+':
      return add(left, right);
    case '-':
      return subtract(left, right);
    case '*':
      return multiply(left, right);
    case '/':
      return trueDivide(left, right);
    case '//':
      return floorDivide(left, right);
    case '%':
      return modulo(left, right);
    case 'in':
      return contains(right, left);
  }
}

type PythonNumber = number | bigint | boolean;

function isNumber(value: unknown): value is PythonNumber {
  return typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean';
}

function isDict(value: unknown): value is Record<string, unknown> | Map<unknown, unknown> {
  return value instanceof Map || isPlainObject(value);
}

function unsupported(symbol: string, left: unknown, right: unknown): PythonException {
  return new PythonException(
    'TypeError',
    `unsupported operand type(s) for ${symbol}: '${pythonTypeName(left)}' and '${pythonTypeName(right)}'`,
  );
}

/** Python `==`. */
export function pythonEquals(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (left === undefined || left === null) return right === undefined || right === null;
  if (isNumber(left) && isNumber(right)) return compareNumbers(left, right) === 0;
  if (typeof left === 'string' || typeof right === 'string') return false;
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => pythonEquals(item, right[index]));
  }
  if (isDict(left) && isDict(right)) {
    const leftEntries = dictEntries(left);
    const rightEntries = dictEntries(right);
    if (leftEntries.length !== rightEntries.length) return false;
    return leftEntries.every(([key, value]) => {
      const match = rightEntries.find(([otherKey]) => pythonEquals(key, otherKey));
      return match !== undefined && pythonEquals(value, match[1]);
    });
  }
  if (left instanceof Set && right instanceof Set) return left.size === right.size && isSubset(left, right);
  return false;
}

function dictEntries(value: Record<string, unknown> | Map<unknown, unknown>): [unknown, unknown][] {
  return value instanceof Map ? [...value.entries()] : Object.entries(value);
}

function isSubset(left: Set<unknown>, right: Set<unknown>): boolean {
  return [...left].every((item) => [...right].some((other) => pythonEquals(item, other)));
}

/** -1, 0, 1, or NaN when unordered (a NaN is involved). */
function compareNumbers(left: PythonNumber, right: PythonNumber): number {
  const a = typeof left === 'boolean' ? Number(left) : left;
  const b = typeof right === 'boolean' ? Number(right) : right;
  if (typeof a === 'number' && Number.isNaN(a)) return Number.NaN;
  if (typeof b === 'number' && Number.isNaN(b)) return Number.NaN;
  // JavaScript compares bigint and number exactly with < and >.
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

function compareStrings(left: string, right: string): number {
  if (!/[\ud800-\udfff]/.test(left) && !/[\ud800-\udfff]/.test(right)) {
    return left < right ? -1 : left > right ? 1 : 0;
  }
  // Python orders by code point; JavaScript's < orders by UTF-16 code unit.
  const a = [...left];
  const b = [...right];
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    const difference = (a[index]?.codePointAt(0) ?? 0) - (b[index]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return a.length - b.length < 0 ? -1 : a.length === b.length ? 0 : 1;
}

function holds(operator: '<' | '<=' | '>' | '>=', order: number): boolean {
  switch (operator) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

/** Python `<`, `<=`, `>`, `>=`. */
export function pythonCompare(operator: '<' | '<=' | '>' | '>=', left: unknown, right: unknown): boolean {
  if (isNumber(left) && isNumber(right)) return holds(operator, compareNumbers(left, right));
  if (typeof left === 'string' && typeof right === 'string') return holds(operator, compareStrings(left, right));
  if (Array.isArray(left) && Array.isArray(right)) {
    const length = Math.min(left.length, right.length);
    for (let index = 0; index < length; index += 1) {
      if (!pythonEquals(left[index], right[index])) return pythonCompare(operator, left[index], right[index]);
    }
    return holds(operator, left.length - right.length);
  }
  if (left instanceof Set && right instanceof Set) {
    if (operator === '<=') return isSubset(left, right);
    if (operator === '>=') return isSubset(right, left);
    if (operator === '<') return left.size < right.size && isSubset(left, right);
    return left.size > right.size && isSubset(right, left);
  }
  throw new PythonException(
    'TypeError',
    `'${operator}' not supported between instances of '${pythonTypeName(left)}' and '${pythonTypeName(right)}'`,
  );
}

/** An exact int result: a number while it is safe, a bigint beyond. */
function normalizeInteger(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function toBigInt(value: PythonNumber): bigint {
  return typeof value === 'bigint' ? value : BigInt(Number(value));
}

function toNumber(value: PythonNumber): number {
  return Number(value);
}

function bothInts(left: unknown, right: unknown): left is PythonNumber {
  return isPythonInt(left) && isPythonInt(right);
}

function add(left: unknown, right: unknown): unknown {
  if (isNumber(left) && isNumber(right)) {
    if (bothInts(left, right)) return normalizeInteger(toBigInt(left) + toBigInt(right as PythonNumber));
    return toNumber(left) + toNumber(right);
  }
  if (typeof left === 'string') {
    if (typeof right === 'string') return left + right;
    throw new PythonException('TypeError', `can only concatenate str (not "${pythonTypeName(right)}") to str`);
  }
  if (Array.isArray(left)) {
    if (Array.isArray(right)) return [...left, ...right];
    throw new PythonException('TypeError', `can only concatenate list (not "${pythonTypeName(right)}") to list`);
  }
  throw unsupported('+', left, right);
}

function subtract(left: unknown, right: unknown): unknown {
  if (isNumber(left) && isNumber(right)) {
    if (bothInts(left, right)) return normalizeInteger(toBigInt(left) - toBigInt(right as PythonNumber));
    return toNumber(left) - toNumber(right);
  }
  if (left instanceof Set && right instanceof Set) {
    return new Set([...left].filter((item) => ![...right].some((other) => pythonEquals(item, other))));
  }
  throw unsupported('-', left, right);
}

function repeat(sequence: string | unknown[], count: unknown): string | unknown[] {
  if (!isPythonInt(count)) {
    throw new PythonException('TypeError', `can't multiply sequence by non-int of type '${pythonTypeName(count)}'`);
  }
  const times = Math.max(0, Number(count));
  if (times * sequence.length > 100_000_000) throw new PythonException('MemoryError', 'repeated sequence is too long');
  if (typeof sequence === 'string') return sequence.repeat(times);
  const out: unknown[] = [];
  for (let index = 0; index < times; index += 1) out.push(...sequence);
  return out;
}

function multiply(left: unknown, right: unknown): unknown {
  if (isNumber(left) && isNumber(right)) {
    if (bothInts(left, right)) return normalizeInteger(toBigInt(left) * toBigInt(right as PythonNumber));
    return toNumber(left) * toNumber(right);
  }
  if (typeof left === 'string' || Array.isArray(left)) return repeat(left, right);
  if (typeof right === 'string' || Array.isArray(right)) {
    if (isNumber(left)) return repeat(right, left);
    throw new PythonException('TypeError', `can't multiply sequence by non-int of type '${pythonTypeName(left)}'`);
  }
  throw unsupported('*', left, right);
}

function trueDivide(left: unknown, right: unknown): unknown {
  if (!isNumber(left) || !isNumber(right)) throw unsupported('/', left, right);
  const divisor = toNumber(right);
  if (divisor === 0) {
    throw new PythonException(
      'ZeroDivisionError',
      bothInts(left, right) ? 'division by zero' : 'float division by zero',
    );
  }
  return toNumber(left) / divisor;
}

function floorDivide(left: unknown, right: unknown): unknown {
  if (!isNumber(left) || !isNumber(right)) throw unsupported('//', left, right);
  if (bothInts(left, right)) {
    const a = toBigInt(left);
    const b = toBigInt(right as PythonNumber);
    if (b === 0n) throw new PythonException('ZeroDivisionError', 'integer division or modulo by zero');
    let quotient = a / b;
    if (a % b !== 0n && a < 0n !== b < 0n) quotient -= 1n;
    return normalizeInteger(quotient);
  }
  const a = toNumber(left);
  const b = toNumber(right);
  if (b === 0) throw new PythonException('ZeroDivisionError', 'float floor division by zero');
  // CPython's float_floor_div.
  let mod = a % b;
  let division = (a - mod) / b;
  if (mod && b < 0 !== mod < 0) {
    mod += b;
    division -= 1;
  }
  if (!division) return a / b < 0 || Object.is(a / b, -0) ? -0 : 0;
  let floor = Math.floor(division);
  if (division - floor > 0.5) floor += 1;
  return floor;
}

function modulo(left: unknown, right: unknown): unknown {
  if (typeof left === 'string') {
    const args: FormatArguments = isDict(right)
      ? {
          kind: 'mapping',
          self: right,
          get: (key) => {
            if (right instanceof Map) {
              if (!right.has(key)) throw new PythonException('KeyError', pythonRepr(key));
              return right.get(key);
            }
            if (!Object.hasOwn(right, key)) throw new PythonException('KeyError', pythonRepr(key));
            return right[key];
          },
        }
      : { kind: 'tuple', values: [right] };
    return applyFormat(compileFormat(left), args);
  }
  if (!isNumber(left) || !isNumber(right)) throw unsupported('%', left, right);
  if (bothInts(left, right)) {
    const a = toBigInt(left);
    const b = toBigInt(right as PythonNumber);
    if (b === 0n) throw new PythonException('ZeroDivisionError', 'integer modulo by zero');
    let remainder = a % b;
    if (remainder !== 0n && remainder < 0n !== b < 0n) remainder += b;
    return normalizeInteger(remainder);
  }
  const a = toNumber(left);
  const b = toNumber(right);
  if (b === 0) throw new PythonException('ZeroDivisionError', 'float modulo');
  // CPython's float_rem.
  let mod = a % b;
  if (mod) {
    if (b < 0 !== mod < 0) mod += b;
  } else mod = b < 0 ? -0 : 0;
  return mod;
}

/** Python `needle in container`. */
function contains(container: unknown, needle: unknown): boolean {
  if (typeof container === 'string') {
    if (typeof needle !== 'string') {
      throw new PythonException(
        'TypeError',
        `'in <string>' requires string as left operand, not ${pythonTypeName(needle)}`,
      );
    }
    return container.includes(needle);
  }
  if (Array.isArray(container)) return container.some((item) => pythonEquals(needle, item));
  if (isDict(container) || container instanceof Set) {
    if (Array.isArray(needle) || isDict(needle) || needle instanceof Set) {
      throw new PythonException('TypeError', `unhashable type: '${pythonTypeName(needle)}'`);
    }
    const keys = container instanceof Map || container instanceof Set ? [...container.keys()] : Object.keys(container);
    return keys.some((key) => pythonEquals(needle, key));
  }
  throw new PythonException('TypeError', `argument of type '${pythonTypeName(container)}' is not iterable`);
}
