import { afterEach, describe, expect, it } from 'vitest';
import { type RealWorker, startRealWorker } from '../testing/real-worker.js';
import { startWorkerServer, type WorkerServer } from '../worker-server.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serverWithWorker(
  name = 'tw',
  password = 'tw-pass',
): Promise<{ server: WorkerServer; worker: RealWorker }> {
  const server = await startWorkerServer({ pb: { port: 0 } });
  cleanups.push(() => server.close());
  server.addWorker({ name, password });
  const address = server.addresses.pb;
  if (!address) throw new Error('no PB address');
  const worker = await startRealWorker({ host: address.host, port: address.port, name, password });
  cleanups.push(() => worker.stop());
  return { server, worker };
}

describe('PB against the real buildbot-worker 3.7', () => {
  it('logs in, reports its info and runs a shell command with interleaved output and an exit code', async () => {
    const { server, worker } = await serverWithWorker();
    const connection = await server.waitForWorker('tw', { signal: AbortSignal.timeout(30_000) });
    expect(connection.protocol).toBe('pb');
    expect(connection.info.version).toMatch(/^3\.7/);
    expect(connection.info.basedir).toBe(worker.basedir);
    expect(connection.info.workerCommands.shell).toBeDefined();
    expect(connection.info.environ.LANG).toBe('C.UTF-8');

    const chunks: [string, string][] = [];
    const result = await connection.runShell(
      { command: 'echo out1; echo err1 >&2; echo out2; exit 3' },
      { onOutput: (stream, text) => chunks.push([stream, text]) },
    );
    expect(result.rc).toBe(3);
    const stdout = chunks
      .filter(([stream]) => stream === 'stdout')
      .map(([, text]) => text)
      .join('');
    const stderr = chunks
      .filter(([stream]) => stream === 'stderr')
      .map(([, text]) => text)
      .join('');
    expect(stdout).toBe('out1\nout2\n');
    expect(stderr).toBe('err1\n');
    expect(typeof result.elapsed).toBe('number');
  });
});
