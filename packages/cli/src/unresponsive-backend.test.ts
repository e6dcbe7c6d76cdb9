import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createDockerProvider } from '@latentci/docker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import type { TryEvent } from './try-events.js';
import { TEARDOWN_BUDGET_SECONDS, TEARDOWN_GRACE_SECONDS, tryWorker } from './try-worker.js';

// Defect 1 of issue #23: a backend that accepts TCP but never answers, and config modules that
// never finish loading. Nothing here reaches a real engine: the "engine" is a loopback listener
// that accepts connections and says nothing.
const cliDirectory = fileURLToPath(new URL('..', import.meta.url));
const bin = join(cliDirectory, 'src', 'bin.ts');
const tsxLoader = pathToFileURL(createRequire(join(cliDirectory, 'package.json')).resolve('tsx')).href;
const dockerProvider = fileURLToPath(new URL('../../docker/src/index.ts', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'latentci-cli-silent-'));
const sockets = new Set<Socket>();
const children = new Set<ChildProcess>();
let silent: Server;
let silentHost: string;

beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentHost = `tcp://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  rmSync(directory, { recursive: true, force: true });
});

function silentConfig(name: string) {
  return {
    provider: createDockerProvider({ image: 'busybox:latest', dockerHost: silentHost }),
    worker: { name, password: 'silent-engine-password', masterId: 'latentci-silent-test' },
  };
}

/** A JSON config file for the CLI whose Docker engine is the silent listener. */
function writeSilentConfigFile(file: string, name: string): string {
  const config = join(directory, file);
  writeFileSync(
    config,
    JSON.stringify({
      provider: dockerProvider,
      settings: { image: 'busybox:latest', dockerHost: silentHost },
      worker: { name, masterId: 'latentci-silent-test' },
    }),
  );
  return config;
}

function startCli(args: readonly string[]) {
  const child = spawn(process.execPath, ['--import', tsxLoader, bin, ...args], {
    cwd: directory,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(cliDirectory, 'tsconfig.json'), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

async function waitFor(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('defect 1 (#23): an unresponsive engine and a config that never loads cannot hold latentci try', () => {
  it('an engine that accepts TCP and never answers: the verdict names the backend after --timeout, with nothing started and nothing to tear down', async () => {
    const events: TryEvent[] = [];
    const started = Date.now();
    const result = await tryWorker(silentConfig('silent-check'), {
      master: '127.0.0.1:0',
      timeoutSeconds: 2,
      onEvent: (event) => events.push(event),
    });
    const seconds = (Date.now() - started) / 1000;
    // The check for an existing instance spends the --timeout budget; nothing else follows.
    expect(seconds).toBeGreaterThanOrEqual(1.9);
    expect(seconds).toBeLessThan(2 + 1);
    expect(result.outcome).toBe('backend-error');
    expect(result.exitCode).toBe(EXIT_CODES.backendError);
    expect(result.summary).toMatch(
      /^the backend \(.*\) did not answer: listing its instances had not returned after 2s, so nothing was started/,
    );
    expect(result.instanceName).toBeUndefined();
    expect(events.map((event) => event.event)).toEqual(['start', 'result']);
  });

  it('the CLI with --timeout 5 against a silent engine ends within the documented bound (--timeout + 25 s), in fact at --timeout', async () => {
    const config = writeSilentConfigFile('silent-bound.json', 'silent-bound');
    const run = startCli(['try', config, '--timeout', '5', '--master', '127.0.0.1:0']);
    // Measured from the start line: the config is loaded then (the bound starts there).
    await waitFor(() => run.stdout().includes('latentci try:'), 'the start line');
    const started = Date.now();
    const code = await run.exited;
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeLessThan(5 + 3);
    expect(seconds).toBeLessThan(5 + TEARDOWN_BUDGET_SECONDS + TEARDOWN_GRACE_SECONDS);
    expect(code).toBe(EXIT_CODES.backendError);
    expect(run.stdout() + run.stderr()).toContain('did not answer: listing its instances had not returned after 5s');
  }, 60_000);

  it('an engine that stops answering after the check: the verdict names the backend, and the teardown stays within its budget', async () => {
    const events: TryEvent[] = [];
    const started = Date.now();
    const result = await tryWorker(silentConfig('silent-budget'), {
      master: '127.0.0.1:0',
      timeoutSeconds: 1,
      teardownSeconds: 1,
      // No check for an existing instance: the start itself meets the silent engine.
      replace: true,
      onEvent: (event) => events.push(event),
    });
    const seconds = (Date.now() - started) / 1000;
    // 1 s to decide, at most 1 s per stop plus 5 s of grace for the whole teardown.
    expect(seconds).toBeLessThan(1 + 1 + 5 + 2);
    expect(result.outcome).toBe('backend-error');
    expect(result.exitCode).toBe(EXIT_CODES.backendError);
    expect(result.summary).toMatch(
      /^the backend \(.*\) did not answer: starting the instance had not returned after 1s/,
    );
    expect(result.hints.join('\n')).not.toMatch(/loopback|reachable from inside the instance/);
    // The stop could not be confirmed either: the result says what may be left and how to remove it.
    expect(result.hints[0]).toMatch(
      /may be left behind; remove it with `latentci reap <config> --master-id latentci-silent-test`/,
    );
    expect(result.hints[0]).toContain(result.instanceName);
    expect(events).toContainEqual(expect.objectContaining({ event: 'abandoned' }));
  });

  it('a second interrupt abandons the teardown at once and says what may be left', async () => {
    const events: TryEvent[] = [];
    const abandon = new AbortController();
    let teardownAt = 0;
    const result = await tryWorker(silentConfig('silent-abandon'), {
      master: '127.0.0.1:0',
      timeoutSeconds: 1,
      teardownSeconds: 120,
      replace: true,
      abandon: abandon.signal,
      onEvent: (event) => {
        events.push(event);
        if (event.event === 'teardown') {
          teardownAt = Date.now();
          setTimeout(() => abandon.abort(), 200);
        }
      },
    });
    expect((Date.now() - teardownAt) / 1000).toBeLessThan(2);
    const abandoned = events.find((event) => event.event === 'abandoned');
    expect(abandoned).toMatchObject({
      reason: 'the cleanup was abandoned (second interrupt)',
      mayRemain: expect.stringContaining(result.instanceName ?? '(none)'),
      reap: 'latentci reap <config> --master-id latentci-silent-test',
    });
  });

  it('the CLI: two Ctrl-C during a hung teardown end it at once, naming what may be left and `latentci reap`', async () => {
    const config = writeSilentConfigFile('silent.json', 'silent-cli');
    const run = startCli(['try', config, '--timeout', '1', '--replace', '--master', '127.0.0.1:0', '--json']);
    await waitFor(() => run.stdout().includes('"event":"teardown"'), 'the teardown');
    run.child.kill('SIGINT');
    await waitFor(() => run.stderr().includes('interrupt again'), 'the first signal to be seen');
    const secondAt = Date.now();
    run.child.kill('SIGINT');
    const code = await run.exited;
    expect((Date.now() - secondAt) / 1000).toBeLessThan(3);
    // The verdict was reached before the interrupts: it stays (the backend did not answer).
    expect(code).toBe(EXIT_CODES.backendError);
    const lines = jsonLines(run.stdout());
    expect(lines.find((line) => line.event === 'abandoned')).toMatchObject({
      reason: 'the cleanup was abandoned (second interrupt)',
      reap: `latentci reap ${config}`,
    });
    const result = lines.at(-1) as { event: string; outcome: string; hints: string[] };
    expect(result).toMatchObject({ event: 'result', outcome: 'backend-error' });
    expect(result.hints[0]).toContain(`may be left behind; remove it with \`latentci reap ${config}\``);
  });

  it('a config module whose top-level await never settles (nothing keeps the loop alive) is a configuration error with a result line', async () => {
    const config = join(directory, 'stuck.mjs');
    writeFileSync(config, 'await new Promise(() => {});\nexport default {};\n');
    const run = startCli(['try', config, '--json']);
    const code = await run.exited;
    expect(code).toBe(EXIT_CODES.configurationError);
    expect(jsonLines(run.stdout()).at(-1)).toMatchObject({
      event: 'result',
      outcome: 'configuration-error',
      summary: expect.stringContaining('never finished loading'),
    });
  });

  it('a config module that keeps the loop alive and never settles: Ctrl-C interrupts it (exit 130, a result line)', async () => {
    const config = join(directory, 'busy.mjs');
    writeFileSync(
      config,
      "setInterval(() => {}, 1000);\nprocess.stderr.write('config loading\\n');\nawait new Promise(() => {});\nexport default {};\n",
    );
    const run = startCli(['try', config, '--json']);
    await waitFor(() => run.stderr().includes('config loading'), 'the module to load');
    run.child.kill('SIGINT');
    const code = await run.exited;
    expect(code).toBe(EXIT_CODES.interrupted);
    expect(jsonLines(run.stdout()).at(-1)).toMatchObject({ event: 'result', outcome: 'interrupted' });
  });
});
