import {
  isPythonFloat,
  isPythonInt,
  PythonException,
  pythonAscii,
  pythonRepr,
  pythonStr,
  pythonTypeName,
} from './python-values.js';

/**
 * Python's `format % values` (printf-style string formatting), reproduced from CPython's
 * `PyUnicode_Format`: the same conversions, flags, padding, error order and error messages.
 *
 * A format is compiled once into tokens; formatting walks the tokens in order, consuming
 * arguments as CPython does, so an error surfaces exactly where Python would raise it.
 */

const FLAG_LEFT = 1;
const FLAG_SIGN = 2;
const FLAG_BLANK = 4;
const FLAG_ALTERNATE = 8;
const FLAG_ZERO = 16;

/**
 * Widths and precisions above these are refused with Python's "width too big" / "precision too
 * big" (CPython's limits are 2^63 and 2^31 and it would try to allocate the result): a malformed
 * configuration must not exhaust memory.
 */
export const MAX_FORMAT_WIDTH = 1_000_000;
export const MAX_FORMAT_PRECISION = 10_000;
/**
 * Longest text one format may produce (characters): widths summed over many conversions, or huge
 * values, are refused ("result too long") before the text is built, instead of building 100 MB strings.
 */
export const MAX_FORMAT_OUTPUT = 10_000_000;

function tooLong(): PythonException {
  return new PythonException(
    'OverflowError',
    `result too long: a format may produce at most ${MAX_FORMAT_OUTPUT} characters (check the widths and the values)`,
  );
}

/** `*` in a width or precision: the value is taken from the arguments. */
const STAR = -2;

type ParseStage = 'key' | 'width' | 'precision' | 'end';

export interface ConversionSpec {
  /** Index of the `%` that starts the conversion. */
  readonly start: number;
  /** The mapping key of `%(key)s`, when given. */
  readonly key: string | undefined;
  /** The key's position in `CompiledFormat.keys` (-1 without a key). */
  readonly keyIndex: number;
  readonly flags: number;
  /** -1 when absent, STAR for `*`. */
  readonly width: number;
  readonly precision: number;
  /** The conversion character (one code point); empty when the format ended first. */
  readonly conversion: string;
  /** Index of the conversion character. */
  readonly conversionIndex: number;
  /** A syntax error CPython raises while parsing this conversion, and after which step. */
  readonly error: { readonly stage: ParseStage; readonly type: string; readonly message: string } | undefined;
}

export type FormatToken = string | ConversionSpec;

export interface CompiledFormat {
  readonly source: string;
  readonly tokens: readonly FormatToken[];
  /** Mapping keys in order of first appearance (like the keys a `defaultdict` collects). */
  readonly keys: readonly string[];
  /** Number of arguments a tuple must hold: one per conversion plus one per `*`. */
  readonly positionalCount: number;
  /** Conversions without a mapping key (they consume the mapping itself in dict form). */
  readonly keylessConversions: number;
  /** True when some conversion fails to parse (the format can never succeed). */
  readonly hasSyntaxError: boolean;
}

/** What a format is applied to: a tuple of positional values, or a mapping looked up by key. */
export type FormatArguments =
  | { readonly kind: 'tuple'; readonly values: readonly unknown[] }
  | { readonly kind: 'mapping'; readonly get: (key: string) => unknown; readonly self: unknown }
  /** A mapping given as one value per key, in the order of `CompiledFormat.keys` (the mapping itself is `{}`). */
  | { readonly kind: 'keyed'; readonly values: readonly unknown[] };

export function compileFormat(source: string): CompiledFormat {
  const tokens: FormatToken[] = [];
  const keys: string[] = [];
  const seenKeys = new Set<string>();
  let positionalCount = 0;
  let keylessConversions = 0;
  let hasSyntaxError = false;
  let literal = '';
  const length = source.length;
  let index = 0;

  while (index < length) {
    const percent = source.indexOf('%', index);
    if (percent === -1) {
      literal += source.slice(index);
      break;
    }
    literal += source.slice(index, percent);
    index = percent + 1;
    if (source.charCodeAt(index) === 37 /* % */) {
      literal += '%';
      index += 1;
      continue;
    }
    if (literal) tokens.push(literal);
    literal = '';

    let key: string | undefined;
    let flags = 0;
    let width = -1;
    let precision = -1;
    let error: ConversionSpec['error'];

    if (source.charCodeAt(index) === 40 /* ( */) {
      let depth = 1;
      let cursor = index + 1;
      while (depth > 0 && cursor < length) {
        const code = source.charCodeAt(cursor);
        if (code === 41) depth -= 1;
        else if (code === 40) depth += 1;
        cursor += 1;
      }
      if (depth > 0) {
        error = { stage: 'key', type: 'ValueError', message: 'incomplete format key' };
        tokens.push(conversionSpec(percent, key, keys, flags, width, precision, '', length, error));
        hasSyntaxError ||= error !== undefined;
        break;
      }
      key = source.slice(index + 1, cursor - 1);
      if (!seenKeys.has(key)) {
        seenKeys.add(key);
        keys.push(key);
      }
      index = cursor;
    }

    for (; index < length; index += 1) {
      const code = source.charCodeAt(index);
      if (code === 45) flags |= FLAG_LEFT;
      else if (code === 43) flags |= FLAG_SIGN;
      else if (code === 32) flags |= FLAG_BLANK;
      else if (code === 35) flags |= FLAG_ALTERNATE;
      else if (code === 48) flags |= FLAG_ZERO;
      else break;
    }

    const widthRead = readCount(source, index, MAX_FORMAT_WIDTH);
    index = widthRead.end;
    width = widthRead.value;
    if (width === STAR) positionalCount += 1;
    if (widthRead.tooBig) {
      error = { stage: 'width', type: 'ValueError', message: 'width too big' };
      tokens.push(conversionSpec(percent, key, keys, flags, width, precision, '', index, error));
      hasSyntaxError ||= error !== undefined;
      break;
    }

    if (source.charCodeAt(index) === 46 /* . */) {
      const precisionRead = readCount(source, index + 1, MAX_FORMAT_PRECISION);
      index = precisionRead.end;
      precision = precisionRead.value === -1 ? 0 : precisionRead.value; // a bare '.' is precision 0
      if (precision === STAR) positionalCount += 1;
      if (precisionRead.tooBig) {
        error = { stage: 'precision', type: 'ValueError', message: 'precision too big' };
        tokens.push(conversionSpec(percent, key, keys, flags, width, precision, '', index, error));
        hasSyntaxError ||= error !== undefined;
        break;
      }
    }

    const modifier = source.charCodeAt(index);
    if (modifier === 104 || modifier === 108 || modifier === 76) index += 1; // h, l, L are ignored
    if (index >= length) {
      error = { stage: 'end', type: 'ValueError', message: 'incomplete format' };
      tokens.push(conversionSpec(percent, key, keys, flags, width, precision, '', length, error));
      hasSyntaxError ||= error !== undefined;
      break;
    }
    const codePoint = source.codePointAt(index) ?? 0;
    const conversion = String.fromCodePoint(codePoint);
    tokens.push(conversionSpec(percent, key, keys, flags, width, precision, conversion, index, error));
    hasSyntaxError ||= error !== undefined;
    positionalCount += 1;
    if (key === undefined) keylessConversions += 1;
    index += conversion.length;
  }
  if (literal) tokens.push(literal);
  return { source, tokens, keys, positionalCount, keylessConversions, hasSyntaxError };
}

function conversionSpec(
  start: number,
  key: string | undefined,
  keys: readonly string[],
  flags: number,
  width: number,
  precision: number,
  conversion: string,
  conversionIndex: number,
  error: ConversionSpec['error'],
): ConversionSpec {
  const keyIndex = key === undefined ? -1 : keys.indexOf(key);
  return { start, key, keyIndex, flags, width, precision, conversion, conversionIndex, error };
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * Reads a width or precision at `start`: STAR for `*`, a decimal number, or -1 when there is
 * neither. Stops as soon as the number passes `limit` (`tooBig`).
 */
function readCount(source: string, start: number, limit: number): { value: number; end: number; tooBig: boolean } {
  if (source.charCodeAt(start) === 42 /* * */) return { value: STAR, end: start + 1, tooBig: false };
  let value = 0;
  let end = start;
  while (isDigit(source.charCodeAt(end))) {
    value = value * 10 + (source.charCodeAt(end) - 48);
    end += 1;
    if (value > limit) return { value, end, tooBig: true };
  }
  return { value: end === start ? -1 : value, end, tooBig: false };
}

/**
 * CPython's argument bookkeeping while formatting: a tuple is consumed item by item; a mapping (or
 * the value a key selected) can be consumed once, through `index` -2 → -1.
 */
interface ArgumentCursor {
  current: unknown;
  count: number;
  index: number;
  readonly values: readonly unknown[] | undefined;
}

function nextArgument(cursor: ArgumentCursor): unknown {
  if (cursor.index < cursor.count) {
    const position = cursor.index;
    cursor.index += 1;
    if (cursor.count < 0) return cursor.current;
    return (cursor.values as readonly unknown[])[position];
  }
  throw new PythonException('TypeError', 'not enough arguments for format string');
}

const EMPTY_MAPPING = Object.freeze({});

/** Applies a compiled format. Throws `PythonException` exactly where CPython raises. */
export function applyFormat(format: CompiledFormat, args: FormatArguments): string {
  const isTuple = args.kind === 'tuple';
  const cursor: ArgumentCursor = {
    current: args.kind === 'mapping' ? args.self : args.kind === 'keyed' ? EMPTY_MAPPING : undefined,
    count: isTuple ? args.values.length : -1,
    index: isTuple ? 0 : -2,
    values: isTuple ? args.values : undefined,
  };

  let out = '';
  for (const token of format.tokens) {
    if (typeof token === 'string') {
      out += token;
      if (out.length > MAX_FORMAT_OUTPUT) throw tooLong();
      continue;
    }
    const { error } = token;
    if (token.key !== undefined || error?.stage === 'key') {
      if (isTuple) throw new PythonException('TypeError', 'format requires a mapping');
      if (error?.stage === 'key') throw new PythonException(error.type, error.message);
      cursor.current =
        args.kind === 'keyed'
          ? args.values[token.keyIndex]
          : (args as { get: (key: string) => unknown }).get(token.key as string);
      cursor.count = -1;
      cursor.index = -2;
    }
    if (error?.stage === 'width') throw new PythonException(error.type, error.message);
    let width = token.width;
    let flags = token.flags;
    if (width === STAR) {
      width = starArgument(nextArgument(cursor));
      if (width < 0) {
        flags |= FLAG_LEFT;
        width = -width;
      }
      if (width > MAX_FORMAT_WIDTH) throw new PythonException('ValueError', 'width too big');
    }
    if (error?.stage === 'precision') throw new PythonException(error.type, error.message);
    let precision = token.precision;
    if (precision === STAR) {
      precision = Math.max(0, starArgument(nextArgument(cursor)));
      if (precision > MAX_FORMAT_PRECISION) throw new PythonException('ValueError', 'precision too big');
    }
    if (error) throw new PythonException(error.type, error.message);
    const value = nextArgument(cursor);
    if (out.length + Math.max(width, 0) > MAX_FORMAT_OUTPUT) throw tooLong();
    out += formatOne(value, token, flags, width, precision, format.source);
    if (out.length > MAX_FORMAT_OUTPUT) throw tooLong();
  }
  if (isTuple && cursor.index < cursor.count) {
    throw new PythonException('TypeError', 'not all arguments converted during string formatting');
  }
  return out;
}

function starArgument(value: unknown): number {
  if (!isPythonInt(value)) throw new PythonException('TypeError', '* wants int');
  return Number(value);
}

function formatOne(
  value: unknown,
  spec: ConversionSpec,
  flags: number,
  width: number,
  precision: number,
  source: string,
): string {
  const conversion = spec.conversion;
  let text: string;
  let numeric = false;
  switch (conversion) {
    case 's':
      text = pythonStr(value);
      break;
    case 'r':
      text = pythonRepr(value);
      break;
    case 'a':
      text = pythonAscii(value);
      break;
    case 'd':
    case 'i':
    case 'u':
    case 'o':
    case 'x':
    case 'X':
      text = formatInteger(value, conversion, flags, precision);
      numeric = true;
      break;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      text = formatFloat(toFloat(value), conversion, precision < 0 ? 6 : precision, (flags & FLAG_ALTERNATE) !== 0);
      numeric = true;
      break;
    case 'c':
      text = formatCharacter(value);
      break;
    default: {
      const code = conversion.codePointAt(0) ?? 0;
      const shown = code >= 31 && code <= 126 ? conversion : '?';
      const index = [...source.slice(0, spec.conversionIndex)].length;
      throw new PythonException(
        'ValueError',
        `unsupported format character '${shown}' (0x${code.toString(16)}) at index ${index}`,
      );
    }
  }
  if (width < 0 && precision < 0 && (!numeric || (flags & (FLAG_SIGN | FLAG_BLANK)) === 0)) return text;
  return pad(text, conversion, numeric, flags, width, precision);
}

/** CPython's `unicode_format_arg_output`: truncation, sign, `0x` prefix and padding. */
function pad(
  text: string,
  conversion: string,
  numeric: boolean,
  flags: number,
  width: number,
  precision: number,
): string {
  let characters = [...text];
  if ((conversion === 's' || conversion === 'r' || conversion === 'a') && precision >= 0) {
    characters = characters.slice(0, precision);
  }
  let length = characters.length;
  if (width <= length && (!numeric || (flags & (FLAG_SIGN | FLAG_BLANK)) === 0)) return characters.join('');

  let index = 0;
  let sign = '';
  let hasSign = numeric;
  if (hasSign) {
    const first = characters[0];
    if (first === '-' || first === '+') {
      sign = first;
      length -= 1;
      index += 1;
    } else if (flags & FLAG_SIGN) sign = '+';
    else if (flags & FLAG_BLANK) sign = ' ';
    else hasSign = false;
  }
  const fill = numeric && flags & FLAG_ZERO ? '0' : ' ';
  let out = '';
  if (width < length) width = length;
  if (hasSign) {
    if (fill !== ' ') out += sign;
    if (width > length) width -= 1;
  }
  const alternatePrefix =
    (flags & FLAG_ALTERNATE) !== 0 && (conversion === 'x' || conversion === 'X' || conversion === 'o');
  if (alternatePrefix) {
    if (fill !== ' ') {
      out += characters[index] ?? '';
      out += characters[index + 1] ?? '';
      index += 2;
    }
    width = Math.max(0, width - 2);
    length -= 2;
  }
  if (width > length && (flags & FLAG_LEFT) === 0) {
    out += fill.repeat(width - length);
    width = length;
  }
  if (fill === ' ') {
    if (hasSign) out += sign;
    if (alternatePrefix) {
      out += characters[index] ?? '';
      out += characters[index + 1] ?? '';
      index += 2;
    }
  }
  out += characters.slice(index).join('');
  if (width > length) out += ' '.repeat(width - length);
  return out;
}

function formatInteger(value: unknown, conversion: string, flags: number, precision: number): string {
  let integer: bigint;
  if (isPythonInt(value)) {
    integer = BigInt(typeof value === 'boolean' ? Number(value) : value);
  } else if (isPythonFloat(value)) {
    if (conversion === 'o' || conversion === 'x' || conversion === 'X') {
      throw new PythonException('TypeError', `%${conversion} format: an integer is required, not float`);
    }
    if (Number.isNaN(value)) throw new PythonException('ValueError', 'cannot convert float NaN to integer');
    if (!Number.isFinite(value)) throw new PythonException('OverflowError', 'cannot convert float infinity to integer');
    integer = BigInt(Math.trunc(value));
  } else {
    const requirement = conversion === 'o' || conversion === 'x' || conversion === 'X' ? 'an integer' : 'a real number';
    throw new PythonException(
      'TypeError',
      `%${conversion} format: ${requirement} is required, not ${pythonTypeName(value)}`,
    );
  }
  const negative = integer < 0n;
  const magnitude = negative ? -integer : integer;
  const base = conversion === 'o' ? 8 : conversion === 'x' || conversion === 'X' ? 16 : 10;
  let digits = magnitude.toString(base);
  if (precision > digits.length) digits = digits.padStart(precision, '0');
  let prefix = '';
  if (flags & FLAG_ALTERNATE && base !== 10) prefix = base === 8 ? '0o' : '0x';
  let text = prefix + digits;
  if (conversion === 'X') text = text.toUpperCase();
  return (negative ? '-' : '') + text;
}

function toFloat(value: unknown): number {
  if (typeof value === 'number') return value === 0 ? 0 : value;
  if (typeof value === 'boolean' || typeof value === 'bigint') return Number(value);
  throw new PythonException('TypeError', `must be real number, not ${pythonTypeName(value)}`);
}

function formatCharacter(value: unknown): string {
  if (isPythonInt(value)) {
    const code = Number(value);
    if (code < 0 || code > 0x10ffff) throw new PythonException('OverflowError', '%c arg not in range(0x110000)');
    return String.fromCodePoint(code);
  }
  if (typeof value === 'string') {
    const first = value.codePointAt(0);
    if (first !== undefined && String.fromCodePoint(first).length === value.length) return value;
  }
  throw new PythonException('TypeError', '%c requires int or char');
}

/** `PyOS_double_to_string` for the `e`, `f`, `g` conversions (and their upper-case forms). */
export function formatFloat(x: number, conversion: string, precision: number, alternate: boolean): string {
  const upper = conversion === 'E' || conversion === 'F' || conversion === 'G';
  const kind = conversion.toLowerCase();
  let text: string;
  if (Number.isNaN(x)) text = 'nan';
  else if (!Number.isFinite(x)) text = x < 0 ? '-inf' : 'inf';
  else {
    const sign = x < 0 ? '-' : '';
    const magnitude = Math.abs(x);
    if (kind === 'f') text = sign + fixedNotation(magnitude, precision, alternate);
    else if (kind === 'e') text = sign + exponentNotation(magnitude, precision, alternate);
    else text = sign + generalNotation(magnitude, precision === 0 ? 1 : precision, alternate);
  }
  return upper ? text.toUpperCase() : text;
}

/** The exact decimal value of a finite non-negative double: `digits × 10^exponent`. */
function exactDecimal(x: number): { digits: bigint; exponent: number } {
  if (x === 0) return { digits: 0n, exponent: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biased = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  let binaryExponent: number;
  if (biased === 0) binaryExponent = -1074;
  else {
    mantissa |= 1n << 52n;
    binaryExponent = biased - 1075;
  }
  if (binaryExponent >= 0) return { digits: mantissa << BigInt(binaryExponent), exponent: 0 };
  return { digits: mantissa * 5n ** BigInt(-binaryExponent), exponent: binaryExponent };
}

/** Divides by 10^shift, rounding half to even (the decimal value is exact, so ties are real). */
function roundShift(digits: bigint, shift: number): bigint {
  if (shift <= 0) return digits * 10n ** BigInt(-shift);
  const divisor = 10n ** BigInt(shift);
  const quotient = digits / divisor;
  const twiceRemainder = (digits % divisor) * 2n;
  if (twiceRemainder > divisor || (twiceRemainder === divisor && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

function fixedNotation(x: number, precision: number, alternate: boolean): string {
  const { digits, exponent } = exactDecimal(x);
  const scaled = roundShift(digits, -(exponent + precision))
    .toString()
    .padStart(precision + 1, '0');
  const integer = scaled.slice(0, scaled.length - precision);
  const fraction = scaled.slice(scaled.length - precision);
  if (precision === 0) return alternate ? `${integer}.` : integer;
  return `${integer}.${fraction}`;
}

/** `significant` digits of x (rounded half-even) and the decimal exponent of the first one. */
function significantDigits(x: number, significant: number): { text: string; exponent: number } {
  if (x === 0) return { text: '0'.repeat(significant), exponent: 0 };
  const { digits, exponent } = exactDecimal(x);
  const all = digits.toString();
  let decimalExponent = all.length - 1 + exponent;
  let text = roundShift(digits, all.length - significant).toString();
  if (text.length > significant) {
    text = text.slice(0, significant);
    decimalExponent += 1;
  }
  return { text, exponent: decimalExponent };
}

function exponentSuffix(exponent: number): string {
  return `e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

function exponentNotation(x: number, precision: number, alternate: boolean): string {
  const { text, exponent } = significantDigits(x, precision + 1);
  const head = precision === 0 ? (alternate ? `${text}.` : text) : `${text[0]}.${text.slice(1)}`;
  return head + exponentSuffix(exponent);
}

function generalNotation(x: number, precision: number, alternate: boolean): string {
  const { text, exponent } = significantDigits(x, precision);
  const digits = alternate ? text : text.replace(/0+$/, '') || '0';
  if (exponent < -4 || exponent >= precision) {
    const head = digits.length > 1 || alternate ? `${digits[0]}.${digits.slice(1)}` : digits;
    return head + exponentSuffix(exponent);
  }
  if (exponent < 0) return `0.${'0'.repeat(-exponent - 1)}${digits}`;
  const integer = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  if (fraction) return `${integer}.${fraction}`;
  return alternate ? `${integer}.` : integer;
}
