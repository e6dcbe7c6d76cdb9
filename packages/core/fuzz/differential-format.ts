/**
 * Differential fuzzer: latentci's Python `%` formatting against CPython's.
 *
 *   npx tsx packages/core/fuzz/differential-format.ts [runs] [seed]
 *
 * Needs python3 on the PATH (or LATENTCI_ORACLE_PYTHON). Prints the first mismatches and exits 1
 * when there are any.
 */
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { applyFormat, compileFormat } from '../src/renderables/python-format.js';
import { PythonException, pythonRepr } from '../src/renderables/python-values.js';
import { askPython } from './python-oracle.js';

const piece = fc.oneof(
  fc.constantFrom('%', '%%', 's', 'r', 'a', 'd', 'i', 'u', 'o', 'x', 'X', 'e', 'E', 'f', 'F', 'g', 'G', 'c', 'y', '%'),
  fc.constantFrom('-', '+', ' ', '#', '0', '*', '.', '1', '5', '12', '.3', '.0', 'h', 'l', '(', ')', '(k)', '(a)'),
  fc.constantFrom('x', 'é', '😀', ':', '\n'),
);
const spec = fc
  .tuple(
    fc.subarray(['-', '+', ' ', '#', '0']),
    fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 30 }).map(String), fc.constant('*')),
    fc.oneof(
      fc.constant(''),
      fc.integer({ min: 0, max: 25 }).map((n) => `.${n}`),
      fc.constant('.'),
      fc.constant('.*'),
    ),
    fc.constantFrom('s', 'r', 'a', 'd', 'i', 'u', 'o', 'x', 'X', 'e', 'E', 'f', 'F', 'g', 'G', 'c'),
  )
  .map(([flags, width, precision, conversion]) => `%${flags.join('')}${width}${precision}${conversion}`);
const formatArbitrary = fc.oneof(
  fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')),
  fc.array(fc.oneof(spec, fc.constantFrom('x', ' ', '%%')), { maxLength: 3 }).map((parts) => parts.join('')),
);
const scalar = fc.oneof(
  fc.integer({ min: -100000, max: 100000 }),
  fc.double({ noDefaultInfinity: false, noNaN: false }),
  fc.constantFrom(0.5, 1.5, 2.5, 1e16, 1e-5, 123456.789, 1e300, -0.0001234, 0.1, 65, 0x10ffff, 0x110000, -1),
  fc.string({ maxLength: 4 }),
  fc.constantFrom('é', '😀', "it's", 'a"b', '\u0000', '\u200b'),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 2 }), scalar, { maxKeys: 2 }),
);

interface Case {
  format: string;
  mode: 'tuple' | 'mapping';
  args?: unknown[];
  mapping?: Record<string, unknown>;
}

const caseArbitrary: fc.Arbitrary<Case> = fc.oneof(
  fc.record({ format: formatArbitrary, mode: fc.constant('tuple' as const), args: fc.array(value, { maxLength: 4 }) }),
  fc.record({
    format: formatArbitrary,
    mode: fc.constant('mapping' as const),
    mapping: fc.record({ k: value, a: value }, { requiredKeys: [] }),
  }),
);

function ours(item: Case): { ok: string } | { error: string } {
  try {
    const compiled = compileFormat(item.format);
    const text =
      item.mode === 'tuple'
        ? applyFormat(compiled, { kind: 'tuple', values: item.args ?? [] })
        : applyFormat(compiled, {
            kind: 'mapping',
            self: item.mapping,
            get: (key) => {
              if (!Object.hasOwn(item.mapping ?? {}, key)) throw new PythonException('KeyError', pythonRepr(key));
              return item.mapping?.[key];
            },
          });
    return { ok: text };
  } catch (error) {
    if (error instanceof PythonException) return { error: error.describe() };
    throw error;
  }
}

export interface DifferentialResult {
  readonly cases: number;
  readonly formatted: number;
  readonly mismatches: readonly { readonly item: unknown; readonly ours: unknown; readonly python: unknown }[];
}

/** Formats `runs` random cases with latentci and with CPython and lists where they differ. */
export function runFormatDifferential(runs: number, seed: number): DifferentialResult {
  const cases = fc.sample(caseArbitrary, { numRuns: runs, seed });
  const expected = askPython('./python-format-oracle.py', cases);
  const mismatches: { item: unknown; ours: unknown; python: unknown }[] = [];
  cases.forEach((item, index) => {
    const actual = ours(item);
    // Accepted deviation: widths and precisions past MAX_FORMAT_WIDTH / MAX_FORMAT_PRECISION are refused.
    if ('error' in actual && /^ValueError: (width|precision) too big$/.test(actual.error)) return;
    if (JSON.stringify(actual) !== JSON.stringify(expected[index])) {
      mismatches.push({ item, ours: actual, python: expected[index] });
    }
  });
  const formatted = expected.filter((answer) => Object.hasOwn(answer as object, 'ok')).length;
  return { cases: cases.length, formatted, mismatches };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = runFormatDifferential(Number(process.argv[2] ?? 20000), Number(process.argv[3] ?? 42));
  for (const mismatch of result.mismatches.slice(0, 15)) console.log(JSON.stringify(mismatch).slice(0, 600));
  console.log(
    `${result.cases} cases (${result.formatted} formatted, ${result.cases - result.formatted} raised), ${result.mismatches.length} mismatches`,
  );
  process.exit(result.mismatches.length === 0 ? 0 : 1);
}
