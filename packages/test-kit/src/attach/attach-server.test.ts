import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@latentci/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_SCRIPT } from '../probe/probe-script.js';
import { attachLatentWorker } from './attach-latent-worker.js';
import { formatAttachEnvironment, formatAttachHello } from './attach-protocol.js';
import { type AttachServer, startAttachServer } from './attach-server.js';

const PASSWORD = 'correct-horse-battery';

/** A worker written in JavaScript: greets, reports an environment, returns the server's answer. */
async function jsWorker(
  server: AttachServer,
  name: string,
  password: string,
  environment?: Record<string, string>,
): Promise<{ reply: string; close: () => void; closed: Promise<unknown> }> {
  const socket = connect({ host: server.host, port: server.port });
  socket.setEncoding('utf8');
  await once(socket, 'connect');
  const closed = once(socket, 'close');
  socket.write(formatAttachHello(name, password));
  if (environment) socket.write(formatAttachEnvironment(environment));
  let received = '';
  while (!received.includes('\n')) {
    const [chunk] = (await Promise.race([once(socket, 'data'), closed.then(() => [''])])) as [string];
    if (chunk === '') break;
    received += chunk;
  }
  return { reply: received.trim(), close: () => socket.destroy(), closed };
}

function capturingLogger(): Logger & { text: () => string } {
  const lines: string[] = [];
  return {
    log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`),
    text: () => lines.join('\n'),
  };
}

describe('attach server', () => {
  let server: AttachServer;
  const logger = capturingLogger();

  beforeAll(async () => {
    server = await startAttachServer({ host: '127.0.0.1', logger, environmentTimeoutMs: 200 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('accepts the expected name and password, records what it saw, calls onAttach before answering', async () => {
    const attached: string[] = [];
    server.expectWorker('good', PASSWORD, (connection) => {
      attached.push(connection.record.workerName);
    });
    const worker = await jsWorker(server, 'good', PASSWORD, {
      WORKERNAME: 'good',
      WORKERPASS: PASSWORD,
      BUILDMASTER: '127.0.0.1',
    });
    expect(worker.reply).toBe('OK');
    expect(attached).toEqual(['good']);
    const record = await server.waitForAttach('good', { timeoutMs: 1000 });
    expect(record).toMatchObject({
      workerName: 'good',
      expected: true,
      passwordMatched: true,
      accepted: true,
      remoteAddress: '127.0.0.1',
      environmentPasswordMatched: true,
      environment: { WORKERNAME: 'good', WORKERPASS: '<redacted>', BUILDMASTER: '127.0.0.1' },
    });
    expect(record.detachedAt).toBeUndefined();
    worker.close();
    const detached = await server.waitForDetach('good', { timeoutMs: 2000 });
    expect(detached.detachedAt).toBeTypeOf('number');
  });

  it('refuses a wrong password and an unknown name, and never records or logs the password', async () => {
    server.expectWorker('guarded', PASSWORD);
    const refused = expect(server.waitForAttach('guarded', { timeoutMs: 5000 })).rejects.toThrow(
      /wrong password for worker "guarded"/,
    );
    const wrong = await jsWorker(server, 'guarded', 'not-the-password', { WORKERPASS: 'not-the-password' });
    expect(wrong.reply).toBe('DENIED');
    await refused;
    const unknown = await jsWorker(server, 'stranger', PASSWORD);
    expect(unknown.reply).toBe('DENIED');
    const stranger = await server.waitForRecord('stranger', { timeoutMs: 1000 });
    expect(stranger).toMatchObject({ expected: false, passwordMatched: false, accepted: false });
    const guarded = server.records.find((r) => r.workerName === 'guarded');
    expect(guarded).toMatchObject({ passwordMatched: false, environmentPasswordMatched: false });
    const everything = JSON.stringify(server.records) + logger.text();
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain('not-the-password');
  });

  it('answers DENIED when the attach handler refuses, with the reason redacted', async () => {
    server.expectWorker('refused', PASSWORD, () => {
      throw new Error(`not substantiating (password ${PASSWORD})`);
    });
    const worker = await jsWorker(server, 'refused', PASSWORD);
    expect(worker.reply).toBe('DENIED');
    const record = await server.waitForRecord('refused', { timeoutMs: 1000 });
    expect(record.rejection).toMatch(/attach handler refused the worker: not substantiating/);
    expect(record.rejection).not.toContain(PASSWORD);
  });

  it('reads the expected password at attach time when given a function', async () => {
    let current: string | undefined;
    server.expectWorker('late', () => current);
    expect((await jsWorker(server, 'late', PASSWORD)).reply).toBe('DENIED');
    current = PASSWORD;
    expect((await jsWorker(server, 'late', PASSWORD)).reply).toBe('OK');
  });

  it('times out with a description of what it saw, and honours an abort signal', async () => {
    await expect(server.waitForAttach('nobody', { timeoutMs: 50 })).rejects.toThrow(
      /worker "nobody" did not attach within 50 ms; the attach server saw: "good"/,
    );
    const controller = new AbortController();
    const waiting = server.waitForAttach('nobody', { timeoutMs: 10_000, signal: controller.signal });
    controller.abort(new Error('stop waiting'));
    await expect(waiting).rejects.toThrow('stop waiting');
  });

  it('wires a latent worker: attached() on attach, detached() on close, connection-dropped closes it', async () => {
    const calls: string[] = [];
    let dropListener: ((payload: { connection: unknown }) => void) | undefined;
    const worker = {
      name: 'wired',
      password: PASSWORD,
      attached: (connection: unknown) => {
        calls.push('attached');
        setTimeout(() => dropListener?.({ connection }), 10);
      },
      detached: () => calls.push('detached'),
      on: (_event: 'connection-dropped', listener: (payload: { connection: unknown }) => void) => {
        dropListener = listener;
        return () => {
          dropListener = undefined;
        };
      },
    };
    const unwire = attachLatentWorker(server, worker);
    const client = await jsWorker(server, 'wired', PASSWORD);
    expect(client.reply).toBe('OK');
    await client.closed;
    await server.waitForDetach('wired', { timeoutMs: 2000 });
    expect(calls).toEqual(['attached', 'detached']);
    unwire();
    expect(dropListener).toBeUndefined();
  });

  it('close() closes every socket, rejects pending waits and is idempotent', async () => {
    const own = await startAttachServer({ host: '127.0.0.1' });
    own.expectWorker('held', PASSWORD);
    const client = await jsWorker(own, 'held', PASSWORD);
    expect(own.openConnections).toBe(1);
    const pending = own.waitForAttach('never', { timeoutMs: 10_000 });
    await Promise.all([own.close(), own.close()]);
    await expect(pending).rejects.toThrow(/closed/);
    await client.closed;
    expect(own.openConnections).toBe(0);
    await expect(own.waitForAttach('never')).rejects.toThrow(/closed/);
  });

  it('explains a listen failure on the Docker bridge address', async () => {
    await expect(startAttachServer({ host: '192.0.2.254' })).rejects.toThrow(/could not listen on 192\.0\.2\.254/);
  });
});

describe('probe script (run locally with busybox)', () => {
  let directory: string;
  let script: string;
  const children = new Set<ChildProcess>();
  const servers = new Set<AttachServer>();

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'latentci-probe-test-'));
    script = join(directory, 'probe.sh');
    writeFileSync(script, PROBE_SCRIPT, { mode: 0o755 });
  });
  afterEach(async () => {
    for (const child of children) if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
    children.clear();
    for (const server of servers) await server.close();
    servers.clear();
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  async function serve(host: string): Promise<AttachServer> {
    const server = await startAttachServer({ host });
    servers.add(server);
    return server;
  }

  function probe(environment: Record<string, string>): ChildProcess & { output: () => string } {
    const child = spawn('/bin/busybox', ['sh', script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...environment },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    return Object.assign(child, { output: () => output });
  }

  const contract = (server: AttachServer, name: string, host = server.host) => ({
    BUILDMASTER: host,
    BUILDMASTER_PORT: String(server.port),
    BUILDMASTER_PROTOCOL: 'pb',
    WORKERNAME: name,
    WORKERPASS: PASSWORD,
  });

  it('attaches with the contract environment, stays alive, and exits at once on SIGTERM', async () => {
    const server = await serve('127.0.0.1');
    server.expectWorker('local', PASSWORD);
    const child = probe(contract(server, 'local'));
    const record = await server.waitForAttach('local', { timeoutMs: 10_000 });
    expect(record.environment).toMatchObject({
      BUILDMASTER: '127.0.0.1',
      WORKERNAME: 'local',
      BUILDMASTER_PROTOCOL: 'pb',
    });
    expect(record.environmentPasswordMatched).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    // 'close', not 'exit': the output is only complete once the child's pipes are drained.
    const [code, signal] = await once(child, 'close');
    expect(code === 143 || signal === 'SIGTERM').toBe(true);
    expect(child.output()).not.toContain(PASSWORD);
  });

  it('connects to an IPv6 master, bare or bracketed', async () => {
    const server = await serve('::1');
    server.expectWorker('six', PASSWORD);
    server.expectWorker('bracketed', PASSWORD);
    probe(contract(server, 'six', '::1'));
    probe(contract(server, 'bracketed', '[::1]'));
    expect((await server.waitForAttach('six', { timeoutMs: 10_000 })).environment?.BUILDMASTER).toBe('::1');
    expect((await server.waitForAttach('bracketed', { timeoutMs: 10_000 })).remoteAddress).toBe('::1');
  });

  it('keeps retrying until the master listens', async () => {
    const first = await startAttachServer({ host: '127.0.0.1' });
    await first.close();
    const child = probe(contract(first, 'patient'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const server = await startAttachServer({ host: '127.0.0.1', port: first.port });
    servers.add(server);
    server.expectWorker('patient', PASSWORD);
    await server.waitForAttach('patient', { timeoutMs: 10_000 });
    expect(child.output()).toContain('connecting to 127.0.0.1');
  });

  it('PROBE_EXIT_BEFORE_ATTACH prints the message and exits 1 without connecting', async () => {
    const server = await serve('127.0.0.1');
    server.expectWorker('crash', PASSWORD);
    const child = probe({ ...contract(server, 'crash'), PROBE_EXIT_BEFORE_ATTACH: 'simulated crash before attach' });
    const [code] = await once(child, 'close');
    expect(code).toBe(1);
    expect(child.output()).toContain('simulated crash before attach');
    expect(server.records).toEqual([]);
  });

  it('PROBE_DELAY_SECONDS waits before connecting', async () => {
    const server = await serve('127.0.0.1');
    server.expectWorker('slow', PASSWORD);
    const started = Date.now();
    probe({ ...contract(server, 'slow'), PROBE_DELAY_SECONDS: '1' });
    await server.waitForAttach('slow', { timeoutMs: 10_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('PROBE_WRONG_PASSWORD=1 presents a wrong password; the refused probe exits 1', async () => {
    const server = await serve('127.0.0.1');
    server.expectWorker('liar', PASSWORD);
    const child = probe({ ...contract(server, 'liar'), PROBE_WRONG_PASSWORD: '1' });
    const record = await server.waitForRecord('liar', { timeoutMs: 10_000 });
    expect(record).toMatchObject({ accepted: false, passwordMatched: false, environmentPasswordMatched: true });
    const [code] = await once(child, 'close');
    expect(code).toBe(1);
    expect(child.output()).toContain('the master refused worker liar');
  });

  it('exits 2 naming a missing contract variable', async () => {
    const child = probe({ BUILDMASTER: '127.0.0.1', BUILDMASTER_PORT: '1', WORKERNAME: 'x' });
    const [code] = await once(child, 'close');
    expect(code).toBe(2);
    expect(child.output()).toContain('WORKERPASS is not set');
  });
});
