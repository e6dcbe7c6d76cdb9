import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBuildbotWorkerImage } from '@latentci/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import type { TryEvent } from './try-events.js';

// `latentci try` with the real buildbot-worker 3.7 image (test-kit's ensureBuildbotWorkerImage):
// the CLI answers Buildbot's PB (and msgpack_experimental_v7 when the config asks for it), so it
// checks the real login, reads the worker's info and runs a command on it. The CLI runs as a real
// process against the real Docker engine.
const cliDirectory = fileURLToPath(new URL('..', import.meta.url));
const bin = join(cliDirectory, 'src', 'bin.ts');
const tsxLoader = pathToFileURL(createRequire(join(cliDirectory, 'package.json')).resolve('tsx')).href;
const dockerProvider = fileURLToPath(new URL('../../docker/src/index.ts', import.meta.url));
const masterId = `latentci-cli-real-${process.pid}`;
const PASSWORD = 'cli-real-worker-secret-password';
const directory = mkdtempSync(join(tmpdir(), 'latentci-cli-real-'));
const children = new Set<ChildProcess>();
let image: string;

beforeAll(async () => {
  image = await ensureBuildbotWorkerImage();
}, 1_800_000);

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
    settings: { image, followStartupLogs: true, ...settings },
    worker: {
      name: `real-${name}`,
      password: PASSWORD,
      masterId,
      masterFQDN: '172.17.0.1:0',
      checkInstanceInterval: 0.5,
      ...worker,
    },
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

async function runCli(args: readonly string[]): Promise<{ code: number | null; output: string; events: TryEvent[] }> {
  const child = spawn(process.execPath, ['--import', tsxLoader, bin, ...args], {
    cwd: directory,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(cliDirectory, 'tsconfig.json'), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  children.delete(child);
  const events = args.includes('--json')
    ? output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as TryEvent)
    : [];
  return { code, output, events };
}

describe('latentci try with a real buildbot-worker', () => {
  it('right password: logged in (exit 0), shows the worker info, runs --run on it, removes the container', async () => {
    const config = writeConfig('right', {});
    const { code, output } = await runCli([
      'try',
      config,
      '--timeout',
      '60',
      '--run',
      'echo "hi from $(id -un)"; exit 3',
    ]);
    expect(output).toMatch(/✓ worker "real-right" logged in from 172\.17\.\d+\.\d+/);
    expect(output).toMatch(/buildbot-worker 3\.7\.0-2 on host [0-9a-f]{12} \(posix\), basedir \/buildbot/);
    expect(output).toContain('┃ hi from buildbot');
    expect(output).toContain('the command exited with 3');
    expect(output).toContain('✔ ATTACHED');
    expect(output).not.toContain(PASSWORD);
    expect(code).toBe(EXIT_CODES.attached);
    expect(ourContainers()).toEqual([]);
  }, 240_000);

  it('right password with --json: the result carries the worker info and the command exit code', async () => {
    const config = writeConfig('json', {});
    const { code, events } = await runCli(['try', config, '--json', '--timeout', '120', '--run', 'uname -s']);
    expect(code).toBe(EXIT_CODES.attached);
    expect(events).toContainEqual({ event: 'output', stream: 'stdout', text: 'Linux\n' });
    expect(events.at(-1)).toMatchObject({
      event: 'result',
      outcome: 'attached',
      authenticated: true,
      worker: { version: '3.7.0-2', system: 'posix', basedir: '/buildbot' },
      run: { command: 'uname -s', exitCode: 0 },
    });
  }, 240_000);

  it('wrong password: reached but refused, exit 5 "wrong password for worker <name>"', async () => {
    // A worker whose own configuration overrides the password latentci gives it.
    const config = writeConfig('wrong', {
      command: [
        'sh',
        '-c',
        'WORKERPASS=not-the-password exec /usr/bin/dumb-init twistd --pidfile= --nodaemon --python buildbot.tac',
      ],
    });
    const { code, output } = await runCli(['try', config, '--timeout', '120']);
    expect(output).toMatch(
      /✗ login of "real-wrong" from 172\.17\.\d+\.\d+ refused: wrong password for worker real-wrong/,
    );
    expect(output).toContain('✘');
    expect(output).toContain('authentication failed: wrong password for worker real-wrong');
    expect(code).toBe(EXIT_CODES.authenticationFailed);
    expect(ourContainers()).toEqual([]);
  }, 240_000);

  it('unreachable masterFQDN: the worker never reaches the master, exit 4', async () => {
    // 127.0.0.1 inside a container is the container itself: the classic wrong masterFQDN.
    const config = writeConfig('unreachable', {}, { masterFQDN: '127.0.0.1:0' });
    const { code, output } = await runCli(['try', config, '--timeout', '15']);
    expect(output).toContain('reached the master: no');
    expect(code).toBe(EXIT_CODES.timedOut);
    expect(ourContainers()).toEqual([]);
  }, 240_000);

  it('an image whose command exits: crashed before connecting, exit 3, with its last log lines', async () => {
    const config = writeConfig('exits', { command: ['sh', '-c', 'echo "no buildmaster configured" >&2; exit 2'] });
    const { code, output } = await runCli(['try', config, '--timeout', '120']);
    expect(output).toContain('no buildmaster configured');
    expect(output).toMatch(/crashed/i);
    expect(code).toBe(EXIT_CODES.crashed);
    expect(ourContainers()).toEqual([]);
  }, 240_000);
});

// The image's buildbot.tac reads BUILDMASTER_PROTOCOL, which latentci sets from worker.masterProtocol.
describe('latentci try with a real buildbot-worker over msgpack_experimental_v7', () => {
  const msgpack = { masterProtocol: 'msgpack_experimental_v7' };

  it('right password: logged in over msgpack (exit 0), shows the worker info, runs --run on it, removes the container', async () => {
    const config = writeConfig('msgpack-right', {}, msgpack);
    const { code, output } = await runCli(['try', config, '--timeout', '120', '--run', 'echo "hi over $(id -un)"']);
    expect(output).toMatch(/✓ worker "real-msgpack-right" logged in from 172\.17\.\d+\.\d+/);
    expect(output).toMatch(
      /buildbot-worker 3\.7\.0-2 on host [0-9a-f]{12} \(posix\), basedir \/buildbot, over msgpack_experimental_v7/,
    );
    expect(output).toContain('┃ hi over buildbot');
    expect(output).toContain('the command exited with 0');
    expect(output).toContain('✔ ATTACHED');
    expect(output).not.toContain(PASSWORD);
    expect(code).toBe(EXIT_CODES.attached);
    expect(ourContainers()).toEqual([]);
  }, 240_000);

  it('right password with --json: the result says the worker logged in over msgpack_experimental_v7', async () => {
    const config = writeConfig('msgpack-json', {}, msgpack);
    const { code, events } = await runCli(['try', config, '--json', '--timeout', '120']);
    expect(code).toBe(EXIT_CODES.attached);
    expect(events).toContainEqual(expect.objectContaining({ event: 'connection', protocol: 'msgpack' }));
    expect(events.at(-1)).toMatchObject({
      event: 'result',
      outcome: 'attached',
      authenticated: true,
      worker: { version: '3.7.0-2', system: 'posix', basedir: '/buildbot', protocol: 'msgpack_experimental_v7' },
    });
  }, 240_000);

  it('wrong password: reached but refused, exit 5 "wrong password for worker <name>"', async () => {
    const config = writeConfig(
      'msgpack-wrong',
      {
        command: [
          'sh',
          '-c',
          'WORKERPASS=not-the-password exec /usr/bin/dumb-init twistd --pidfile= --nodaemon --python buildbot.tac',
        ],
      },
      msgpack,
    );
    const { code, output } = await runCli(['try', config, '--timeout', '120']);
    expect(output).toMatch(
      /✗ login of "real-msgpack-wrong" from 172\.17\.\d+\.\d+ refused: wrong password for worker real-msgpack-wrong/,
    );
    expect(output).toContain('authentication failed: wrong password for worker real-msgpack-wrong');
    expect(output).not.toContain(PASSWORD);
    expect(code).toBe(EXIT_CODES.authenticationFailed);
    expect(ourContainers()).toEqual([]);
  }, 240_000);

  it('a worker that speaks msgpack while worker.masterProtocol is pb: refused with a message saying so, exit 5', async () => {
    const config = writeConfig('msgpack-unasked', {
      command: [
        'sh',
        '-c',
        'BUILDMASTER_PROTOCOL=msgpack_experimental_v7 exec /usr/bin/dumb-init twistd --pidfile= --nodaemon --python buildbot.tac',
      ],
    });
    const { code, output } = await runCli(['try', config, '--timeout', '120']);
    expect(output).toContain(
      'authentication failed: the worker speaks msgpack_experimental_v7, but "worker.masterProtocol" is "pb"',
    );
    expect(code).toBe(EXIT_CODES.authenticationFailed);
    expect(ourContainers()).toEqual([]);
  }, 240_000);
});
