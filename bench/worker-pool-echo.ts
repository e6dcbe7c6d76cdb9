import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { LatentWorker, WorkerPool } from '@latentci/core';
import { connectLatentWorker, startWorkerServer, type WorkerConnection } from '@latentci/worker-protocol';
import {
  buildbotWorkerProcessProvider,
  type ProcessInstance,
} from '../tests/support/buildbot-worker-process-provider.js';
import { compare, type Figure, single } from './statistics.js';

/** Milliseconds from `start` until the first output of `echo` on `connection`. */
async function firstOutput(connection: WorkerConnection, start: number): Promise<number> {
  let first: number | undefined;
  await connection.runShell(
    { command: ['echo', 'latentci'] },
    {
      onOutput: () => {
        first ??= performance.now() - start;
      },
    },
  );
  if (first === undefined) throw new Error('echo printed nothing');
  return first;
}

interface TwistedFloor {
  readonly firstUpdate: number[];
  readonly complete: number[];
  readonly printRoundTrip: number[];
  readonly processElapsed: number[];
}

/**
 * The worker's own floor: `bench/pb-echo-floor.py`, a plain Twisted PB master (no Buildbot, no
 * latentci) timing remote startCommand (the same `echo` step) → first update on a real worker,
 * run by the Python of twistd3 (it has Twisted).
 */
async function twistedFloor(rounds: number): Promise<TwistedFloor> {
  const { stdout: where } = await promisify(execFile)('sh', ['-c', 'command -v twistd3']);
  const shebang = (await readFile(where.trim(), 'utf8')).split('\n')[0] ?? '';
  const python = shebang.startsWith('#!') ? shebang.slice(2).trim().split(' ')[0] : 'python3';
  const script = new URL('./pb-echo-floor.py', import.meta.url).pathname;
  const { stdout } = await promisify(execFile)(python ?? 'python3', [script, String(rounds)], { timeout: 300_000 });
  return JSON.parse(stdout) as TwistedFloor;
}

/**
 * Warm pool of real buildbot-workers (PB): `acquire()` → first output byte of `echo`, next to the
 * floor measured on the same leases: the same `echo` on a connection already in hand.
 */
export async function measureWorkerPoolEcho(options: { quick: boolean }): Promise<Figure[]> {
  const rounds = options.quick ? 3 : 20;
  // The Twisted floor runs before and after ours, so that drift in the machine's load hits both alike.
  const before = await twistedFloor(rounds);
  const server = await startWorkerServer({ pb: { port: 0 } });
  const provider = buildbotWorkerProcessProvider();
  const ours: number[] = [];
  const floor: number[] = [];
  const quiet: number[] = [];
  try {
    const address = server.addresses.pb;
    if (!address) throw new Error('the worker server has no PB address');
    const pool = new WorkerPool<ProcessInstance, WorkerConnection>({
      namePrefix: 'bench-echo',
      idle: 1,
      max: 2,
      createWorker: (name, { password }) => {
        const worker = new LatentWorker({
          name,
          password,
          provider,
          masterId: 'latentci-bench-pool-echo',
          masterFQDN: `${address.host}:${address.port}`,
          missingTimeout: 60,
        });
        connectLatentWorker(server, worker);
        return worker;
      },
    });
    try {
      for (let round = 0; round <= rounds; round += 1) {
        await pool.whenWarm({ signal: AbortSignal.timeout(60_000) });
        const start = performance.now();
        const lease = await pool.acquire();
        const sample = await firstOutput(lease.connection, start);
        const again = await firstOutput(lease.connection, performance.now());
        // The pool starts the replacement worker (a Python process on the same 2 cores) at the
        // lease: once it is up, the same echo again, with nothing else running.
        await pool.whenWarm({ signal: AbortSignal.timeout(60_000) });
        const settled = await firstOutput(lease.connection, performance.now());
        // The first round warms the code paths up and is not counted.
        if (round > 0) {
          ours.push(sample);
          floor.push(again);
          quiet.push(settled);
        }
        await lease.release({ result: 'SUCCESS' });
      }
    } finally {
      await pool.close();
    }
  } finally {
    await provider.stopAll();
    await server.close();
  }
  const after = await twistedFloor(rounds);
  const twisted: TwistedFloor = {
    firstUpdate: [...before.firstUpdate, ...after.firstUpdate],
    complete: [...before.complete, ...after.complete],
    printRoundTrip: [...before.printRoundTrip, ...after.printRoundTrip],
    processElapsed: [...before.processElapsed, ...after.processElapsed],
  };
  const group = `worker pool (real buildbot-worker over PB, ${rounds} leases)`;
  return [
    {
      ...compare(group, 'warm acquire → first output byte of echo', ours, floor),
      note: 'goal p50 ≤ 25 ms; floor: the same echo on a connection in hand',
    },
    single(
      group,
      'echo on a connection in hand → first output byte, while the replacement warms up',
      floor,
      'ms',
      'the pool starts the next worker at the lease, on the same machine',
    ),
    {
      ...compare(
        group,
        'echo on a connection in hand → first output byte, nothing else starting',
        quiet,
        twisted.firstUpdate,
      ),
      note: 'floor: plain Twisted PB master, startCommand → first update (the worker sends its updates when echo ends)',
    },
    single(
      group,
      'plain Twisted PB master: startCommand → complete',
      twisted.complete,
      'ms',
      'the worker buffers output (64 KiB / 5 s) and flushes it at the end: first update ≈ complete',
    ),
    single(
      group,
      'inside the worker: echo process spawn → exit (its elapsedTime)',
      twisted.processElapsed,
      'ms',
      'Twisted spawnProcess of the worker: most of the floor',
    ),
    single(group, 'plain Twisted PB master: print round trip', twisted.printRoundTrip, 'ms', 'one PB round trip'),
  ];
}
