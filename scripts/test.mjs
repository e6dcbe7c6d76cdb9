#!/usr/bin/env node
// The whole test suite, as the README's second quick-start command runs it:
// build, typecheck and package hygiene (turbo), lint (biome), then every vitest test in one run.
// Ends with the plain line `N passed, N failed` (the vitest totals).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ensureSupportedNode } from './supported-node.mjs';
import { vitestTotals } from './vitest-totals.mjs';

ensureSupportedNode(fileURLToPath(import.meta.url));

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsFile = `${root}.test-results/vitest.json`;

function run(label, command, args) {
  console.log(`\n▶ ${label}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
  return result.status === 0;
}

const steps = [
  [
    'build, typecheck, publint and attw',
    'pnpm',
    ['exec', 'turbo', 'run', 'build', 'typecheck', 'hygiene', '--output-logs=errors-only'],
  ],
  ['typecheck of tests, bench and fuzz', 'pnpm', ['exec', 'tsc', '--noEmit', '-p', 'tsconfig.json']],
  ['lint', 'pnpm', ['exec', 'biome', 'check', '.']],
];
let failedSteps = 0;
for (const [label, command, args] of steps) {
  if (!run(label, command, args)) {
    failedSteps += 1;
    console.error(`✗ ${label} failed`);
  }
}

rmSync(resultsFile, { force: true });
rmSync(`${root}.test-results/secret-hygiene`, { recursive: true, force: true });
rmSync(`${root}.test-results/faults`, { recursive: true, force: true });
mkdirSync(`${root}.test-results`, { recursive: true });
const testsPassed = run('tests', 'pnpm', [
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${resultsFile}`,
  ...process.argv.slice(2),
]);

const { passed, failed } = vitestTotals(resultsFile, testsPassed);

// Secret hygiene figures (tests/support/secret-hygiene.ts writes one file per test file).
try {
  const directory = `${root}.test-results/secret-hygiene`;
  const files = readdirSync(directory).map((name) => JSON.parse(readFileSync(`${directory}/${name}`, 'utf8')));
  const sum = (key) => files.reduce((total, file) => total + file[key], 0);
  console.log(
    `secret hygiene: ${sum('outputs')} emitted texts checked against ${sum('secrets')} registered secrets in ${files.length} test files: ${sum('leaks')} leaks`,
  );
} catch {
  console.log('secret hygiene: no figures were written');
}

// Fault suite figures (tests/support/fault-report.ts writes one file per case).
try {
  const directory = `${root}.test-results/faults`;
  const cases = readdirSync(directory).map((name) => JSON.parse(readFileSync(`${directory}/${name}`, 'utf8')));
  const faults = cases.reduce((total, each) => total + each.faultsInjected, 0);
  const leaks = cases.reduce((total, each) => total + each.leaks, 0);
  const decisions = cases.filter((each) => each.decisionMs !== undefined).map((each) => each.decisionMs);
  const slowest = decisions.length > 0 ? `, slowest decision ${Math.round(Math.max(...decisions))} ms` : '';
  console.log(`fault suite: ${cases.length} cases, ${faults} faults injected, ${leaks} leaks${slowest}`);
} catch {
  console.log('fault suite: no figures were written');
}
if (failedSteps > 0) console.error(`✗ ${failedSteps} non-test step(s) failed (see above)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failedSteps === 0 && testsPassed && failed === 0 ? 0 : 1);
