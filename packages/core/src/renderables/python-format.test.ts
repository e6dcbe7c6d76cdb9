import { describe, expect, it } from 'vitest';
import { applyFormat, compileFormat } from './python-format.js';
import { floatRepr, PythonException, pythonAscii, pythonRepr, pythonStr, pythonTruthy } from './python-values.js';

function format(text: string, ...values: unknown[]): string {
  try {
    return applyFormat(compileFormat(text), { kind: 'tuple', values });
  } catch (error) {
    if (error instanceof PythonException) return error.describe();
    throw error;
  }
}

// Expected values were printed by CPython 3.11.
describe('Python %-formatting', () => {
  const cases: [string, unknown[], string][] = [
    ['%5%', [], 'TypeError: not enough arguments for format string'],
    ['%5%', [1], "ValueError: unsupported format character '%' (0x25) at index 2"],
    ['%c', [''], 'TypeError: %c requires int or char'],
    ['%d', [''], 'TypeError: %d format: a real number is required, not str'],
    ['%x', [1.7], 'TypeError: %x format: an integer is required, not float'],
    ['%f', [null], 'TypeError: must be real number, not NoneType'],
    ['%(a)s', [1], 'TypeError: format requires a mapping'],
    ['%s', [1, 2], 'TypeError: not all arguments converted during string formatting'],
    ['%c', [0x110000], 'OverflowError: %c arg not in range(0x110000)'],
    ['%*s', ['a', 'b'], 'TypeError: * wants int'],
    ['%.*s', [2, 'abc'], 'ab'],
    ['%-*s|', [-5, 'abc'], 'abc  |'],
    ['%d', [1.7], '1'],
    ['%d', [true], '1'],
    ['%d', [Number.POSITIVE_INFINITY], 'OverflowError: cannot convert float infinity to integer'],
    ['%#x|%#o|%+05d|% d', [255, 8, 3, 5], '0xff|0o10|+0003| 5'],
    ['%#X', [-255], '-0XFF'],
    ['%g|%#g|%.3g', [1e20, 1, 0.0001234], '1e+20|1.00000|0.000123'],
    ['%e', [12345.678], '1.234568e+04'],
    ['%.0f|%.0f|%.3f', [0.5, 2.5, 1.0005], '0|2|1.000'],
    ['%05f', [Number.NEGATIVE_INFINITY], '-0inf'],
    ['%5.2s|%05s|', ['abc', 'abc'], '   ab|  abc|'],
    ['%.2d|%hd', [5, 5], '05|5'],
    ['%l', [5], 'ValueError: incomplete format'],
    ['%5c|', [65], '    A|'],
    ['%i', [2n ** 70n], '1180591620717411303424'],
    ['%.1s', ['😀ab'], '😀'],
    ['%😀', [1], "ValueError: unsupported format character '?' (0x1f600) at index 1"],
  ];
  for (const [text, values, expected] of cases) {
    it(`${JSON.stringify(text)} % ${pythonRepr(values)} → ${expected}`, () => {
      expect(format(text, ...values)).toBe(expected);
    });
  }

  it('a mapping format looks keys up and raises KeyError for missing ones', () => {
    const compiled = compileFormat('%(a)s-%(b)r');
    const mapping = { a: 1, b: 'x' } as Record<string, unknown>;
    const get = (key: string) => {
      if (!(key in mapping)) throw new PythonException('KeyError', pythonRepr(key));
      return mapping[key];
    };
    expect(applyFormat(compiled, { kind: 'mapping', self: mapping, get })).toBe("1-'x'");
    expect(compiled.keys).toEqual(['a', 'b']);
  });

  it('refuses absurd widths instead of allocating them', () => {
    expect(format('%99999999999s', 'a')).toBe('ValueError: width too big');
    expect(format('%.99999999999f', 1)).toBe('ValueError: precision too big');
  });
});

describe('Python str(), repr() and truthiness', () => {
  it('prints floats like Python', () => {
    expect(
      [1.5, 0.1, 1e16, 1e-5, 1e15, 1.2345678901234568e17, -0, Number.NaN, Number.POSITIVE_INFINITY].map(floatRepr),
    ).toEqual(['1.5', '0.1', '1e+16', '1e-05', '1000000000000000.0', '1.2345678901234568e+17', '-0.0', 'nan', 'inf']);
  });

  it('treats safe integers as ints and other numbers as floats', () => {
    expect(pythonStr(3)).toBe('3');
    expect(pythonStr(2 ** 60)).toBe('1.152921504606847e+18');
    expect(pythonStr(2n ** 60n)).toBe('1152921504606846976');
  });

  it('quotes and escapes strings like repr()', () => {
    expect(pythonRepr(["a'b", 'a"b', 'a\'"b', '\n\u0000\u007f\u200b😀é'])).toBe(
      `["a'b", 'a"b', 'a\\'"b', '\\n\\x00\\x7f\\u200b😀é']`,
    );
    expect(pythonAscii('é😀')).toBe("'\\xe9\\U0001f600'");
  });

  it('prints containers like Python', () => {
    expect(pythonStr({ k: [true, null, 1.5], 'it’s': new Map([[1, 'x']]) })).toBe(
      "{'k': [True, None, 1.5], 'it’s': {1: 'x'}}",
    );
    expect(pythonStr(new Set())).toBe('set()');
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    expect(pythonStr(cyclic)).toBe('[1, [...]]');
  });

  it('follows Python truthiness', () => {
    expect([null, undefined, false, 0, '', [], {}, new Map(), 0n].some(pythonTruthy)).toBe(false);
    expect([true, 1, 'x', [0], { a: 0 }, Number.NaN, new Date(0)].every(pythonTruthy)).toBe(true);
  });
});
