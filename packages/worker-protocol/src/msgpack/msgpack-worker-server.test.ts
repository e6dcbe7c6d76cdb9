import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RealWorker, startRealWorker } from '../testing/real-worker.js';
import type { WorkerConnection } from '../worker-connection.js';
import { startWorkerServer, type WorkerServer } from '../worker-server.js';
import { startMsgpackListener } from './msgpack-listener.js';

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('the protocol-neutral server over msgpack with a real buildbot-worker 3.7', () => {
  let server: WorkerServer;
  let worker: RealWorker;
  let connection: WorkerConnection;
  const scratch = mkdtempSync(join(tmpdir(), 'latentci-msgpack-server-'));

  beforeAll(async () => {
    server = await startWorkerServer({ msgpack: { port: 0 }, msgpackListener: startMsgpackListener });
    server.addWorker({ name: 'tw', password: 'tw-pass-2718', builderDirectory: 'bld' });
    const address = server.addresses.msgpack;
    if (!address) throw new Error('the server does not listen for msgpack');
    worker = await startRealWorker({
      protocol: 'msgpack',
      host: address.host,
      port: address.port,
      name: 'tw',
      password: 'tw-pass-2718',
    });
    connection = await server.waitForWorker('tw', { signal: AbortSignal.timeout(30_000) });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await server?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('attaches: worker info read, builder directory made during the login', async () => {
    expect(connection.info.basedir).toBe(worker.basedir);
    expect((await connection.runShell({ command: ['pwd'] })).stdout).toBe(`${join(worker.basedir, 'bld', 'build')}\n`);
  });

  it('runs shell commands and file-system commands with builder-relative paths', async () => {
    const result = await connection.runShell({ command: 'echo out; echo err >&2; exit 4', workdir: 'w' });
    expect(result).toMatchObject({ rc: 4, stdout: 'out\n', stderr: 'err\n' });
    await connection.mkdir('made');
    expect(await connection.listdir('.')).toEqual(expect.arrayContaining(['made', 'w']));
    expect((await connection.stat('made')).mode & 0o170000).toBe(0o040000);
    await connection.rmdir('made');
    expect(await connection.listdir('.')).not.toContain('made');
  });

  it('moves files both ways byte for byte', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 17);
    const local = join(scratch, 'in.bin');
    writeFileSync(local, content);
    expect(await connection.downloadFile(local, 'copy/in.bin')).toBe(content.length);
    expect(sha256(readFileSync(join(worker.basedir, 'bld', 'copy', 'in.bin')))).toBe(sha256(content));
    const back = join(scratch, 'back.bin');
    expect(await connection.uploadFile('copy/in.bin', back)).toBe(content.length);
    expect(sha256(readFileSync(back))).toBe(sha256(content));
  });

  it('shuts the worker down: the process exits 0', async () => {
    await connection.shutdown();
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  }, 20_000);
});
