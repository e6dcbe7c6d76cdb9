/**
 * `pnpm fuzz [--runs N] [--seed S] [--timeout SECONDS]`: runs every fuzz target (fuzz/targets.ts)
 * in its own process, N fast-check cases each (default 100,000), and kills a target that does
 * not finish within the timeout (a hang is a failure). CI runs a shorter pass.
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fuzzTargets } from './targets.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    timeout: { type: 'string', default: '900' },
    target: { type: 'string' },
  },
});
const runs = Number(values.runs);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);

if (values.target !== undefined) {
  // Child mode: run one target and report.
  const target = fuzzTargets.find((candidate) => candidate.name === values.target);
  if (!target) throw new Error(`unknown fuzz target ${values.target}`);
  await target.run(runs, seed);
  process.exit(0);
}

const timeoutMs = Number(values.timeout) * 1000;
let failures = 0;
console.log(`fuzz: ${runs.toLocaleString('en-US')} cases per target, seed ${seed}`);
for (const target of fuzzTargets) {
  const started = performance.now();
  const outcome = await new Promise<{ code: number | null; output: string; hung: boolean }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'fuzz/run.ts', '--target', target.name, '--runs', String(runs), '--seed', String(seed)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, hung });
    });
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (outcome.code === 0) {
    console.log(`✓ ${target.name}: ${runs.toLocaleString('en-US')} cases in ${seconds} s`);
  } else {
    failures += 1;
    console.log(
      `✗ ${target.name}: ${outcome.hung ? `no answer within ${values.timeout} s (hang)` : 'failed'}\n${outcome.output}`,
    );
  }
}
console.log(`fuzz: ${fuzzTargets.length - failures} of ${fuzzTargets.length} targets passed (seed ${seed})`);
process.exit(failures === 0 ? 0 : 1);
