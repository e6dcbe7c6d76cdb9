/**
 * CLI start-up: the whole process of `latentci --help` and of `latentci ls` against an empty
 * Docker engine (no instance of the bench's master), each spawned afresh, against the floor
 * measured in the same run: `node -e 0`, the same Node starting and doing nothing. Rounds
 * interleave the three commands so that load on the machine hits them alike; median of N.
 *
 * Runs the built CLI (packages/cli/dist/bin.js, what users run): `pnpm build` first.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { compare, type Figure } from './statistics.js';

const GROUP = 'CLI start-up (whole process; floor = node -e 0)';
const bin = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));

/** Milliseconds from spawn to exit; rejects when the command fails. */
function timed(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const elapsed = performance.now() - started;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`node ${args.join(' ')} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

export async function measureCliStartup(options: { quick: boolean }): Promise<Figure[]> {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`pnpm build\` first`);
  const rounds = options.quick ? 5 : 21;
  const commands = {
    floor: ['-e', '0'],
    help: [bin, '--help'],
    // An empty engine for this master: ls connects, lists nothing and exits.
    ls: [
      bin,
      'ls',
      '--provider',
      '@latentci/docker',
      '--settings',
      '{"image":"busybox"}',
      '--master-id',
      'latentci-bench-empty',
    ],
  };
  const samples: Record<keyof typeof commands, number[]> = { floor: [], help: [], ls: [] };
  for (const args of Object.values(commands)) await timed(args); // warm the file cache
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, args] of Object.entries(commands) as [keyof typeof commands, string[]][]) {
      samples[name].push(await timed(args));
    }
  }
  return [
    compare(GROUP, 'latentci --help', samples.help, samples.floor),
    compare(GROUP, 'latentci ls --provider @latentci/docker (empty engine)', samples.ls, samples.floor),
  ];
}
