import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBuildbotWorkerImage } from '@latentci/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES, type Job, runJob, startMaster } from './master.js';

// The example master against the real buildbot-worker 3.7 image and the real Docker engine.
const here = fileURLToPath(new URL('.', import.meta.url));
const masterId = `latentci-node-master-${process.pid}`;
const directory = mkdtempSync(join(tmpdir(), 'latentci-node-master-'));
const children = new Set<ChildProcess>();
let image: string;

beforeAll(async () => {
  image = await ensureBuildbotWorkerImage();
}, 1_800_000);

function ourContainers(): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=io.latentci.master=${masterId}`], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.length > 0);
}

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  const leftovers = ourContainers();
  if (leftovers.length > 0) execFileSync('docker', ['rm', '-f', ...leftovers]);
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

async function run(job: Omit<Job, 'image'>) {
  let output = '';
  const result = await runJob(
    { ...job, image },
    { masterId, artifactsDirectory: join(directory, job.name), print: (text) => (output += text) },
  );
  return { result, output };
}

describe('examples/node-master', () => {
  it('runs the steps on a real worker with live output, uploads the artifact, succeeds, leaves nothing', async () => {
    const { result, output } = await run({
      name: 'pass',
      steps: [
        { name: 'build', run: 'mkdir -p dist && echo "built by $(id -un)" | tee dist/out.txt' },
        { name: 'test', run: 'grep -q buildbot dist/out.txt && echo tests passed' },
      ],
      artifacts: ['dist/out.txt'],
    });
    expect(result.outcome).toBe('success');
    expect(EXIT_CODES[result.outcome]).toBe(0);
    expect(output).toMatch(/✓ worker job-1 logged in \(buildbot-worker 3\.7\.0-2/);
    expect(output).toContain('  │ built by buildbot');
    expect(output).toContain('  │ tests passed');
    expect(result.artifacts).toEqual([join(directory, 'pass', 'out.txt')]);
    expect(readFileSync(join(directory, 'pass', 'out.txt'), 'utf8')).toBe('built by buildbot\n');
    expect(output).toMatch(/job pass: SUCCESS\n {2}✓ build .*exit 0\n {2}✓ test .*exit 0/);
    expect(ourContainers()).toEqual([]);
  }, 300_000);

  it('runs jobs on a warm pool: each job leases a worker that logged in before it asked, none is left', async () => {
    const master = await startMaster({ image, masterId, idle: 1, max: 2 });
    let output = '';
    try {
      for (const name of ['first', 'second']) {
        await master.pool.whenWarm({ signal: AbortSignal.timeout(120_000) });
        const result = await runJob(
          { name, image, steps: [{ name: 'hello', run: 'echo hello from $(hostname)' }] },
          { master, artifactsDirectory: join(directory, name), print: (text) => (output += text) },
        );
        expect(result.outcome).toBe('success');
      }
      expect(output).toContain('▶ job first: leasing a warm worker');
      expect(output).toContain('▶ job second: leasing a warm worker');
      expect(master.pool.stats()).toMatchObject({ leases: 2, warmLeases: 2 });
    } finally {
      await master.close();
    }
    expect(ourContainers()).toEqual([]);
  }, 300_000);

  it('stops at a failing step: FAILURE, exit code 1, the later steps skipped', async () => {
    const { result, output } = await run({
      name: 'fail',
      steps: [
        { name: 'compile', run: 'echo "error: missing semicolon" >&2; exit 7' },
        { name: 'never', run: 'echo should not run' },
      ],
    });
    expect(result.outcome).toBe('failure');
    expect(EXIT_CODES[result.outcome]).toBe(1);
    expect(result.steps).toEqual([expect.objectContaining({ name: 'compile', exitCode: 7, timedOut: false })]);
    expect(output).toContain('  ! error: missing semicolon');
    expect(output).toContain('✗ compile exited with 7');
    expect(output).toContain('  - never            skipped');
    expect(output).not.toContain('should not run');
    expect(ourContainers()).toEqual([]);
  }, 300_000);

  it('fails a step that runs past its timeout', async () => {
    const { result, output } = await run({ name: 'timeout', steps: [{ name: 'hang', run: 'sleep 60', timeout: 2 }] });
    expect(result.outcome).toBe('failure');
    expect(result.steps[0]).toMatchObject({ name: 'hang', timedOut: true });
    expect(result.steps[0]?.seconds).toBeLessThan(30);
    expect(output).toContain('✗ hang timed out after 2s');
    expect(ourContainers()).toEqual([]);
  }, 300_000);

  it('Ctrl-C stops the job, exits 130 and leaves no container', async () => {
    const jobFile = join(directory, 'interrupt.json');
    writeFileSync(jobFile, JSON.stringify({ name: 'interrupt', image, steps: [{ name: 'long', run: 'sleep 300' }] }));
    const tsx = pathToFileURL(createRequire(join(here, 'package.json')).resolve('tsx')).href;
    const child = spawn(process.execPath, ['--import', tsx, join(here, 'master.ts'), jobFile], {
      cwd: directory,
      // tsconfig paths map the workspace packages to their sources.
      env: { ...process.env, NODE_MASTER_ID: masterId, TSX_TSCONFIG_PATH: join(here, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
    const exited = once(child, 'exit');
    while (!output.includes('── long: sleep 300')) {
      const early = await Promise.race([once(child.stdout as NodeJS.ReadableStream, 'data'), exited]);
      if (child.exitCode !== null) throw new Error(`the master exited early (${String(early)}):\n${output}`);
    }
    expect(ourContainers()).toHaveLength(1);
    child.kill('SIGINT');
    const [code] = await exited;
    children.delete(child);
    expect(code).toBe(130);
    expect(output).toContain('job interrupt: INTERRUPTED');
    expect(ourContainers()).toEqual([]);
  }, 300_000);
});
