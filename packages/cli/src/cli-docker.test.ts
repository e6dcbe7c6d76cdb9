import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureProbeImage } from '@latentci/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';

// End to end: the CLI runs as a real process (tsx on the sources; tsconfig paths map the
// workspace packages to their sources) against the real Docker engine, with the probe image.
const cliDirectory = fileURLToPath(new URL('..', import.meta.url));
const bin = join(cliDirectory, 'src', 'bin.ts');
const tsxLoader = pathToFileURL(createRequire(join(cliDirectory, 'package.json')).resolve('tsx')).href;
const dockerProvider = fileURLToPath(new URL('../../docker/src/index.ts', import.meta.url));
const masterId = `latentci-cli-e2e-${process.pid}`;
const PASSWORD = 'cli-e2e-secret-password';
const directory = mkdtempSync(join(tmpdir(), 'latentci-cli-e2e-'));
const children = new Set<ChildProcess>();
let image: string;
let crashingImage: string;
let wrongPasswordImage: string;
let slowImage: string;

beforeAll(async () => {
  image = await ensureProbeImage();
  crashingImage = await ensureProbeImage({
    environment: { PROBE_EXIT_BEFORE_ATTACH: 'fatal: cannot read /etc/worker.cfg' },
  });
  wrongPasswordImage = await ensureProbeImage({ environment: { PROBE_WRONG_PASSWORD: '1' } });
  slowImage = await ensureProbeImage({ environment: { PROBE_DELAY_SECONDS: '120' } });
});

/** Containers this file's CLI runs created (labelled with this run's master id). */
function ourContainers(): string[] {
  const output = execFileSync('docker', ['ps', '-aq', '--filter', `label=io.latentci.master=${masterId}`], {
    encoding: 'utf8',
  });
  return output.split('\n').filter((line) => line.length > 0);
}

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  const leftovers = ourContainers();
  if (leftovers.length > 0) execFileSync('docker', ['rm', '-f', ...leftovers]);
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function writeConfig(name: string, settings: Record<string, unknown>, worker: Record<string, unknown> = {}): string {
  const path = join(directory, `${name}.json`);
  const config = {
    provider: dockerProvider,
    settings: { followStartupLogs: true, ...settings },
    worker: {
      name: `e2e-${name}`,
      password: PASSWORD,
      masterId,
      masterFQDN: '172.17.0.1',
      checkInstanceInterval: 0.5,
      ...worker,
    },
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

interface Run {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

function startCli(args: readonly string[]): Run {
  const child = spawn(process.execPath, ['--import', tsxLoader, bin, ...args], {
    cwd: directory,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(cliDirectory, 'tsconfig.json'), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, output: () => output, exited };
}

async function cli(...args: string[]): Promise<{ code: number | null; output: string }> {
  const run = startCli(args);
  const code = await run.exited;
  return { code, output: run.output() };
}

/** Resolves once the run printed `text` (or ended). */
function printed(run: Run, text: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (run.output().includes(text)) {
        clearInterval(check);
        resolve();
      }
    }, 50);
    void run.exited.then(() => {
      clearInterval(check);
      resolve();
    });
  });
}

describe('latentci try against the Docker engine', () => {
  it('reports the probe worker attached (exit 0), hides the password and removes the container', async () => {
    const { code, output } = await cli(
      'try',
      writeConfig('ok', { image }),
      '--master',
      '172.17.0.1:0',
      '--timeout',
      '30',
    );
    expect(output).toContain('✔ ATTACHED');
    expect(output).not.toContain(PASSWORD);
    expect(code).toBe(EXIT_CODES.attached);
    expect(ourContainers()).toEqual([]);
  });

  it('reports an image that exits before attaching as crashed (exit 3), with its last log line', async () => {
    const { code, output } = await cli(
      'try',
      writeConfig('crash', { image: crashingImage }),
      '--master',
      '172.17.0.1:0',
      '--timeout',
      '30',
    );
    expect(output).toContain('✘ CRASHED');
    expect(output).toContain('fatal: cannot read /etc/worker.cfg');
    expect(code).toBe(EXIT_CODES.crashed);
    expect(ourContainers()).toEqual([]);
  });

  it('reports a masterFQDN the container cannot reach (localhost) as never connected (exit 4)', async () => {
    const config = writeConfig('localhost', { image }, { masterFQDN: '127.0.0.1' });
    const { code, output } = await cli('try', config, '--master', '127.0.0.1:0', '--timeout', '4');
    expect(output).toContain('✘ TIMED OUT');
    expect(output).toMatch(/never connected to the master at 127\.0\.0\.1:\d+ within 4s/);
    expect(output).toContain('is a loopback address');
    expect(code).toBe(EXIT_CODES.timedOut);
    expect(ourContainers()).toEqual([]);
  });

  it('reports a wrong password as reached but not authenticated (exit 5), in JSON lines', async () => {
    const config = writeConfig('password', { image: wrongPasswordImage });
    const { code, output } = await cli('try', config, '--master', '172.17.0.1:0', '--timeout', '30', '--json');
    const events = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string });
    expect(events.at(-1)).toMatchObject({
      event: 'result',
      outcome: 'authentication-failed',
      exitCode: 5,
      reachedMaster: true,
      authenticated: false,
    });
    expect(events).toContainEqual(expect.objectContaining({ event: 'login', accepted: false }));
    expect(output).not.toContain(PASSWORD);
    expect(code).toBe(EXIT_CODES.authenticationFailed);
    expect(ourContainers()).toEqual([]);
  });

  it('reports a missing image as a backend error (exit 6)', async () => {
    const { code, output } = await cli(
      'try',
      writeConfig('no-image', { image: 'latentci-no-such-image:1' }),
      '--master',
      '172.17.0.1:0',
    );
    expect(output).toContain('latentci-no-such-image');
    expect(code).toBe(EXIT_CODES.backendError);
  });

  it('streams the instance log while waiting, and on Ctrl-C cleans up and exits 130', async () => {
    const run = startCli([
      'try',
      writeConfig('interrupt', { image: slowImage }),
      '--master',
      '172.17.0.1:0',
      '--timeout',
      '60',
    ]);
    // Until the probe says it waits (or the CLI ended early, which the assertions below report).
    await printed(run, 'waiting 120 s before connecting');
    expect(ourContainers()).toHaveLength(1);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(EXIT_CODES.interrupted);
    expect(run.output()).toContain('INTERRUPTED');
    expect(ourContainers()).toEqual([]);
  });

  it('with --observe, reports the master port reached by a TCP connection', async () => {
    const { code, output } = await cli(
      'try',
      writeConfig('observe', { image }),
      '--observe',
      '172.17.0.1:0',
      '--timeout',
      '30',
    );
    expect(output).toContain('✔ REACHED');
    expect(code).toBe(EXIT_CODES.attached);
    expect(ourContainers()).toEqual([]);
  });
});

describe('latentci ls and reap against the Docker engine', () => {
  it('lists an instance left running with --keep, and reap removes it', async () => {
    const config = writeConfig('keep', { image });
    const kept = await cli('try', config, '--master', '172.17.0.1:0', '--keep');
    expect(kept.code).toBe(EXIT_CODES.attached);
    expect(kept.output).toContain('is still running; remove it with `latentci reap <config>`');
    expect(ourContainers()).toHaveLength(1);

    const listed = await cli('ls', config, '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.output)).toMatchObject({
      command: 'ls',
      masterId,
      instances: [expect.objectContaining({ workerName: 'e2e-keep', masterId })],
    });

    const reaped = await cli('reap', config);
    expect(reaped.code).toBe(0);
    expect(reaped.output).toContain(`removed 1 instance(s) of master "${masterId}"`);
    expect(ourContainers()).toEqual([]);
    // Without a config: the provider package, its settings (the docker provider wants an image) and the master id.
    const after = await cli(
      'ls',
      '--provider',
      dockerProvider,
      '--settings',
      JSON.stringify({ image }),
      '--master-id',
      masterId,
      '--json',
    );
    expect(after.code).toBe(0);
    expect(JSON.parse(after.output).instances).toEqual([]);
  });
});

describe('latentci pool against the Docker engine', () => {
  it('keeps probe workers warm under load, prints stats snapshots as JSON and leaves no container', async () => {
    const { code, output } = await cli(
      'pool',
      writeConfig('pool', { image, followStartupLogs: false }),
      '--idle',
      '1',
      '--max',
      '2',
      '--duration',
      '8',
      '--load',
      '1',
      '--hold',
      '500',
      '--master',
      '172.17.0.1:0',
      '--json',
    );
    const events = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; [key: string]: unknown });
    expect(events[0]).toMatchObject({ event: 'start', workers: ['e2e-pool-1', 'e2e-pool-2'], idle: 1, max: 2 });
    const stats = events.filter((event) => event.event === 'stats');
    expect(stats.length).toBeGreaterThanOrEqual(5);
    for (const snapshot of stats) expect(snapshot.total).toBeLessThanOrEqual(2);
    const result = events.at(-1) as unknown as {
      event: string;
      outcome: string;
      workersReady: number;
      stats: { leases: number; warmLeases: number; failures: number; total: number };
    };
    expect(result).toMatchObject({ event: 'result', outcome: 'completed', exitCode: 0 });
    expect(result.stats).toMatchObject({ failures: 0, total: 0 });
    expect(result.stats.leases).toBeGreaterThan(2);
    expect(result.stats.warmLeases).toBeGreaterThan(0);
    expect(output).not.toContain(PASSWORD);
    expect(code).toBe(EXIT_CODES.attached);
    expect(ourContainers()).toEqual([]);
  });

  it('prints a stats line per snapshot for people, and on Ctrl-C drains the pool and exits 130', async () => {
    const run = startCli([
      'pool',
      writeConfig('pool-interrupt', { image, followStartupLogs: false }),
      '--idle',
      '2',
      '--max',
      '2',
      '--master',
      '172.17.0.1:0',
    ]);
    await printed(run, 'idle 2 · starting 0');
    expect(ourContainers()).toHaveLength(2);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(EXIT_CODES.interrupted);
    expect(run.output()).toContain('✓ e2e-pool-interrupt-1 attached');
    expect(run.output()).toContain('interrupted: closing the pool');
    expect(run.output()).toContain('✘ INTERRUPTED: pool closed');
    expect(run.output()).toContain('no worker left');
    expect(ourContainers()).toEqual([]);
  });
});
