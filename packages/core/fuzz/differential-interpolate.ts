/**
 * Differential fuzzer: latentci's Interpolate against Buildbot's own (reference implementation).
 *
 *   npx tsx packages/core/fuzz/differential-interpolate.ts [runs] [seed]
 *
 * Needs a Python with Buildbot importable (Debian: `apt-get install python3-buildbot`, then the
 * default /usr/bin/python3; or set LATENTCI_ORACLE_PYTHON). Accepted, documented deviations
 * (core README, "Renderables") are counted apart from mismatches. Exits 1 on a mismatch.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { ConfigurationError, RenderError } from '../src/errors.js';
import { Interpolate, Properties, render, type SourceStamp } from '../src/renderables/index.js';
import { askPython, pythonExecutable } from './python-oracle.js';

const name = fc.constantFrom('a', 'b', 'x', '', 'a+a', 'missing', 'cb', 'repository', 'n.1');
const text: fc.Arbitrary<string> = fc.letrec((tie) => ({
  text: fc
    .array(
      fc.oneof(
        {
          weight: 5,
          arbitrary: fc.constantFrom('x', ' ', '|', ':', '(', ')', '-', '%%', '%s', "'", '~', '?', '#', 'é'),
        },
        { weight: 2, arbitrary: tie('substitution') as fc.Arbitrary<string> },
      ),
      { maxLength: 4 },
    )
    .map((parts) => parts.join('')),
  substitution: fc
    .tuple(
      fc.constantFrom('prop', 'kw', 'src', 'worker', 'garbage', ''),
      name,
      fc.option(name, { nil: undefined }),
      fc.constantFrom('', ':-', ':~', ':+', ':?|', ':#?|', ':?:', ':#?:', ':@', ':', ':?', ':?('),
      fc.option(tie('text') as fc.Arbitrary<string>, { nil: undefined, depthSize: 'small' }),
      fc.option(tie('text') as fc.Arbitrary<string>, { nil: undefined, depthSize: 'small' }),
      fc.constantFrom('s', 's', 's', 'r', 'd', 'a', '', '5s', '-4s', '.1s'),
    )
    .map(([selector, first, second, op, textA, textB]) => {
      const key =
        selector === 'src' && second !== undefined ? `${selector}:${first}:${second}` : `${selector}:${first}`;
      const body =
        op.includes('?') && op.length > 1 ? `${op}${textA ?? ''}${op.at(-1)}${textB ?? ''}` : `${op}${textA ?? ''}`;
      return { key: `${key}${body}` };
    })
    .chain(({ key }) =>
      fc.constantFrom('s', 's', 's', 'r', 'd', 'a', '', '5s', '-4s', '.1s').map((c) => `%(${key})${c}`),
    ),
})).text;

const value = fc.oneof(
  fc.constantFrom('', 'v', 'so long!', "it's", 'é'),
  fc.constantFrom(0, 1, -3, 2.5, 1e16, 0.1),
  fc.boolean(),
  fc.constant(null),
  fc.constant(['a', 1]),
  fc.constant({ k: true }),
);
const mapping = fc.dictionary(name, value, { maxKeys: 4 });

export interface InterpolateCase {
  format: string;
  kwargs?: Record<string, unknown>;
  args?: unknown[];
  properties: Record<string, unknown>;
  sourcestamps: SourceStamp[];
  workerinfo: Record<string, unknown>;
}

/** Random keyword-form cases: a format, its kwargs, and the build's properties, stamps and worker info. */
export const caseArbitrary: fc.Arbitrary<InterpolateCase> = fc.record({
  format: text,
  kwargs: mapping,
  properties: mapping,
  sourcestamps: fc.constant([
    { codebase: 'cb', repository: 'r', branch: null },
    { codebase: '', project: 'p' },
  ]),
  workerinfo: mapping,
});

type Answer = { ok: string } | { config: string } | { render: string };

async function ours(item: InterpolateCase): Promise<Answer> {
  let interpolate: Interpolate;
  try {
    interpolate = new Interpolate(item.format, item.kwargs ?? {});
  } catch (error) {
    if (error instanceof ConfigurationError) return { config: error.message };
    throw error;
  }
  const properties = new Properties({ sourceStamps: item.sourcestamps, workerInfo: item.workerinfo });
  properties.update(item.properties, 'test');
  try {
    return { ok: (await render(interpolate, properties)) as string };
  } catch (error) {
    if (error instanceof RenderError) return { render: error.message };
    throw error;
  }
}

/** Same outcome, or a documented deviation ('accepted'), or a mismatch. */
function judge(actual: Answer, expected: Answer): 'same' | 'accepted' | 'mismatch' {
  if ('ok' in expected) {
    if ('ok' in actual) return actual.ok === expected.ok ? 'same' : 'mismatch';
    // Deviations: `?|ab` and `%s` with no positional values are refused where Buildbot renders.
    if ('config' in actual && /ternary expression|positional substitution/.test(actual.config)) return 'accepted';
    return 'mismatch';
  }
  if ('config' in expected) {
    if (!('config' in actual)) return 'mismatch';
    if (actual.config === expected.config) return 'same';
    // Python exceptions carry a context prefix here; Buildbot's IndexError crashes are clean errors here.
    if (/^(TypeError|ValueError): /.test(expected.config) && actual.config.endsWith(`: ${expected.config}`))
      return 'same';
    if (expected.config.startsWith('IndexError')) return 'accepted';
    return 'mismatch';
  }
  return 'render' in actual && actual.render === expected.render ? 'same' : 'mismatch';
}

export interface InterpolateDifferentialResult {
  readonly cases: number;
  readonly tally: Readonly<Record<'same' | 'accepted' | 'mismatch', number>>;
  readonly mismatches: readonly { readonly format: string; readonly ours: Answer; readonly buildbot: Answer }[];
}

/** Renders `runs` random formats with latentci and with Buildbot and lists where they differ. */
export async function runInterpolateDifferential(runs: number, seed: number): Promise<InterpolateDifferentialResult> {
  const cases = fc.sample(caseArbitrary, { numRuns: runs, seed });
  const expected = askPython('./buildbot-interpolate-oracle.py', cases) as Answer[];
  const tally = { same: 0, accepted: 0, mismatch: 0 };
  const mismatches: { format: string; ours: Answer; buildbot: Answer }[] = [];
  for (const [index, item] of cases.entries()) {
    const actual = await ours(item);
    const buildbot = expected[index] as Answer;
    const verdict = judge(actual, buildbot);
    tally[verdict] += 1;
    if (verdict === 'mismatch') mismatches.push({ format: item.format, ours: actual, buildbot });
  }
  return { cases: cases.length, tally, mismatches };
}

/** True when the oracle's Python can import Buildbot. */
export function buildbotAvailable(): boolean {
  return spawnSync(pythonExecutable(), ['-c', 'import buildbot.process.properties'], { stdio: 'ignore' }).status === 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runInterpolateDifferential(Number(process.argv[2] ?? 5000), Number(process.argv[3] ?? 7));
  for (const mismatch of result.mismatches.slice(0, 15)) console.log(JSON.stringify(mismatch));
  const { same, accepted, mismatch } = result.tally;
  console.log(`${result.cases} cases: ${same} same, ${accepted} accepted deviations, ${mismatch} mismatches`);
  process.exit(mismatch === 0 ? 0 : 1);
}
