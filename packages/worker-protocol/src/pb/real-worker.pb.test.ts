import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerConnectionLostError, WorkerRemoteError } from '../errors.js';
import { type RealWorker, type RealWorkerOptions, startRealWorker } from '../testing/real-worker.js';
import { startWorkerServer, type WorkerServer, type WorkerServerOptions } from '../worker-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(options: WorkerServerOptions = {}): Promise<WorkerServer> {
  const server = await startWorkerServer({ pb: { port: 0 }, ...options });
  cleanups.push(() => server.close());
  return server;
}

async function startWorker(server: WorkerServer, options: Partial<RealWorkerOptions> = {}): Promise<RealWorker> {
  const address = server.addresses.pb;
  if (!address) throw new Error('the server does not listen for PB');
  const worker = await startRealWorker({
    host: address.host,
    port: address.port,
    name: 'tw',
    password: 'tw-pass',
    ...options,
  });
  cleanups.push(() => worker.stop());
  return worker;
}

async function attached(options: Partial<RealWorkerOptions> = {}, serverOptions: WorkerServerOptions = {}) {
  const server = await startServer(serverOptions);
  server.addWorker({ name: 'tw', password: 'tw-pass' });
  const worker = await startWorker(server, options);
  const connection = await server.waitForWorker('tw', { signal: AbortSignal.timeout(30_000) });
  return { server, worker, connection };
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('PB against the real buildbot-worker 3.7', () => {
  it('logs in, reports its info and runs a shell command with interleaved output and an exit code', async () => {
    const { worker, connection } = await attached({ info: { admin: 'Ada <ada@example.org>', host: 'test host' } });
    expect(connection.protocol).toBe('pb');
    expect(connection.info.version).toMatch(/^3\.7/);
    expect(connection.info.basedir).toBe(worker.basedir);
    expect(connection.info.admin).toBe('Ada <ada@example.org>');
    expect(connection.info.host).toBe('test host');
    expect(connection.info.system).toBe('posix');
    expect(Object.keys(connection.info.workerCommands)).toEqual(
      expect.arrayContaining(['shell', 'mkdir', 'rmdir', 'stat', 'listdir', 'uploadFile', 'downloadFile']),
    );
    expect(connection.info.environ.LANG).toBe('C.UTF-8');

    const chunks: [string, string][] = [];
    const result = await connection.runShell(
      { command: 'echo out1; echo err1 >&2; sleep 0.2; echo out2; echo err2 >&2; exit 3' },
      { onOutput: (stream, text) => chunks.push([stream, text]) },
    );
    expect(result.rc).toBe(3);
    const of = (name: string) =>
      chunks
        .filter(([stream]) => stream === name)
        .map(([, text]) => text)
        .join('');
    expect(of('stdout')).toBe('out1\nout2\n');
    expect(of('stderr')).toBe('err1\nerr2\n');
    expect(of('header')).toContain('echo out1');
    expect(typeof result.elapsed).toBe('number');
  });

  it('streams 50 MB of output: every byte arrives, in order', async () => {
    const { connection } = await attached();
    const lines = 6_500_000;
    let expected = 1;
    let partial = '';
    let bytes = 0;
    let outOfOrder = 0;
    const result = await connection.runShell(
      { command: ['seq', '1', String(lines)], logEnviron: false },
      {
        onOutput: (stream, text) => {
          if (stream !== 'stdout') return;
          bytes += Buffer.byteLength(text);
          const parts = (partial + text).split('\n');
          partial = parts.pop() ?? '';
          for (const part of parts) {
            if (Number(part) !== expected) outOfOrder += 1;
            expected += 1;
          }
        },
      },
    );
    expect(result.rc).toBe(0);
    expect(outOfOrder).toBe(0);
    expect(partial).toBe('');
    expect(expected - 1).toBe(lines);
    expect(bytes).toBeGreaterThan(50_000_000);
  }, 180_000);

  it('interrupts a running command: the process is killed and rc is -1', async () => {
    const { connection } = await attached();
    let header = '';
    const running = connection.runShell(
      { command: 'echo started; sleep 60' },
      {
        onOutput: (stream, text) => {
          if (stream === 'header') header += text;
        },
      },
    );
    await expect.poll(() => connection.runningCommands.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await connection.interrupt();
    const result = await running;
    expect(result.rc).toBe(-1);
    expect(header).toContain('command interrupted');
    expect(result.elapsed === undefined || result.elapsed < 30).toBe(true);
  });

  it('aborting the signal interrupts the command and rejects with the reason', async () => {
    const { connection } = await attached();
    const controller = new AbortController();
    const running = connection.runShell({ command: 'sleep 60' }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop it')), 500);
    await expect(running).rejects.toThrow('stop it');
    expect(connection.runningCommands).toEqual([]);
  });

  it('kills a command that prints nothing for longer than its timeout', async () => {
    const { connection } = await attached();
    const started = Date.now();
    const result = await connection.runShell({ command: 'sleep 120', timeout: 1 });
    expect(result.rc).toBe(-1);
    expect(result.header).toContain('command timed out: 1 seconds without output');
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('passes env and runs in workdir (relative to the builder directory)', async () => {
    const { worker, connection } = await attached();
    const result = await connection.runShell({
      command: 'echo "$GREETING"; echo "$' + '{UNSET_ONE:-unset}"; pwd',
      env: { GREETING: 'hello from env', LANG: null },
      workdir: 'sub/dir',
    });
    expect(result.rc).toBe(0);
    expect(result.stdout).toBe(`hello from env\nunset\n${join(worker.basedir, 'latentci', 'sub', 'dir')}\n`);
  });

  it('mkdir, stat, listdir and rmdir; an unknown command is a WorkerRemoteError', async () => {
    const { worker, connection } = await attached();
    await connection.mkdir('tree/leaf');
    const leaf = await connection.stat('tree/leaf');
    expect(leaf.mode & 0o170000).toBe(0o040000);
    expect((await stat(join(worker.basedir, 'latentci', 'tree', 'leaf'))).isDirectory()).toBe(true);
    expect(await connection.listdir('tree')).toEqual(['leaf']);
    await connection.rmdir('tree');
    expect(await connection.listdir('.')).not.toContain('tree');
    await expect(connection.stat('tree')).rejects.toBeInstanceOf(WorkerRemoteError);
    const unknown = connection.runCommand('no-such-command', {});
    await expect(unknown).rejects.toBeInstanceOf(WorkerRemoteError);
    await expect(unknown).rejects.toThrow(/no-such-command/);
    await connection.ping();
  });

  it('downloads and uploads a 10 MB file with the same sha256 at both ends', async () => {
    const { worker, connection } = await attached();
    const local = await mkdtemp(join(tmpdir(), 'latentci-transfer-'));
    cleanups.push(() => rm(local, { recursive: true, force: true }));
    const data = randomBytes(10 * 1024 * 1024);
    await writeFile(join(local, 'source.bin'), data);

    const sent = await connection.downloadFile(join(local, 'source.bin'), 'files/copy.bin', { mode: 0o640 });
    expect(sent).toBe(data.length);
    const onWorker = await readFile(join(worker.basedir, 'latentci', 'files', 'copy.bin'));
    expect(sha256(onWorker)).toBe(sha256(data));
    expect((await stat(join(worker.basedir, 'latentci', 'files', 'copy.bin'))).mode & 0o777).toBe(0o640);

    const received = await connection.uploadFile('files/copy.bin', join(local, 'back.bin'));
    expect(received).toBe(data.length);
    expect(sha256(await readFile(join(local, 'back.bin')))).toBe(sha256(data));
  }, 120_000);

  it('refuses a wrong password so that the worker retries, and accepts it once the password is right', async () => {
    const server = await startServer();
    server.addWorker({ name: 'tw', password: 'another-password' });
    const worker = await startWorker(server);
    await worker.waitForLog('unauthorized login; check worker name and password');
    expect(server.connection('tw')).toBeUndefined();
    expect(worker.process.exitCode).toBeNull();
    server.addWorker({ name: 'tw', password: () => 'tw-pass' });
    const connection = await server.waitForWorker('tw', { signal: AbortSignal.timeout(45_000) });
    expect(connection.info.basedir).toBe(worker.basedir);
    expect(await worker.log()).not.toContain('another-password');
  }, 60_000);

  it('shuts the worker down gracefully: its process exits 0', async () => {
    const { server, worker, connection } = await attached();
    const disconnected = new Promise((resolve) => server.on('disconnect', resolve));
    await connection.shutdown();
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    await disconnected;
    expect(server.connection('tw')).toBeUndefined();
  });

  it('answers the worker keepalives and its own shutdown request', async () => {
    const { worker, connection } = await attached({ keepalive: 1, allowShutdown: 'signal' });
    await worker.waitForLog("Master replied to keepalive, everything's fine");
    const requested = new Promise<void>((resolve) => connection.onShutdownRequest(resolve));
    process.kill(worker.pid, 'SIGHUP');
    await requested;
    await connection.shutdown();
    expect((await worker.exited).code).toBe(0);
  });

  it('closing the master while a command runs fails the command; the worker reconnects when the master is back', async () => {
    const first = await startWorkerServer({ pb: { port: 0 } });
    first.addWorker({ name: 'tw', password: 'tw-pass' });
    const address = first.addresses.pb;
    if (!address) throw new Error('no PB address');
    const worker = await startWorker(first);
    const connection = await first.waitForWorker('tw', { signal: AbortSignal.timeout(30_000) });
    const running = connection.runShell({ command: 'sleep 60' });
    await expect.poll(() => connection.runningCommands.length).toBe(1);
    await first.close();
    await expect(running).rejects.toBeInstanceOf(WorkerConnectionLostError);

    const second = await startWorkerServer({ pb: { host: address.host, port: address.port } });
    cleanups.push(() => second.close());
    second.addWorker({ name: 'tw', password: 'tw-pass' });
    const again = await second.waitForWorker('tw', { signal: AbortSignal.timeout(45_000) });
    expect(again.info.basedir).toBe(worker.basedir);
    expect((await again.runShell({ command: ['echo', 'back'] })).stdout).toBe('back\n');
  }, 90_000);

  it('detects a worker that stops answering within keepalive interval + timeout', async () => {
    const { server, worker } = await attached({}, { keepaliveInterval: 1, keepaliveTimeout: 1 });
    const disconnected = new Promise<number>((resolve) => server.on('disconnect', () => resolve(Date.now())));
    const stoppedAt = Date.now();
    process.kill(worker.pid, 'SIGSTOP');
    try {
      const at = await disconnected;
      // keepalive every 1 s, answer within 1 s: far below TCP keepalive's minutes.
      expect(at - stoppedAt).toBeLessThan(20_000);
      expect(server.connection('tw')).toBeUndefined();
    } finally {
      process.kill(worker.pid, 'SIGCONT');
    }
  });

  it("refuses a duplicate login while the first connection answers (Buildbot's rule)", async () => {
    const { server, connection } = await attached();
    const duplicate = await startWorker(server);
    await duplicate.waitForLog('rejecting duplicate worker');
    expect(server.connection('tw')).toBe(connection);
    expect((await duplicate.exited).code).not.toBeNull();
    expect((await connection.runShell({ command: ['true'] })).rc).toBe(0);
  });
});
