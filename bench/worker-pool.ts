import { WorkerPool, type WorkerPoolStats } from '@latentci/core';
import { dockerLatentWorker } from '@latentci/docker';
import { type AttachServer, attachLatentWorker, ensureProbeImage, startAttachServer } from '@latentci/test-kit';
import Docker from 'dockerode';
import { type Figure, median, single } from './statistics.js';

const MASTER_ID = 'latentci-bench-pool';

/** What the measurements use of a pool, whatever its instance type. */
interface MeasuredPool {
  acquire(): Promise<{ readonly warm: boolean; release(): Promise<void> }>;
  stats(): WorkerPoolStats;
  close(): Promise<void>;
}

function dockerPool(
  server: AttachServer,
  image: string,
  options: { namePrefix: string; idle: number; max: number; startConcurrency?: number; reuse?: boolean },
): MeasuredPool {
  return new WorkerPool({
    ...options,
    createWorker: (name, { password }) => {
      const worker = dockerLatentWorker({
        name,
        password,
        masterId: MASTER_ID,
        image,
        masterFQDN: server.masterFQDN,
        missingTimeout: 60,
        checkInstanceInterval: 1,
      });
      attachLatentWorker(server, worker);
      return worker;
    },
  });
}

async function until(condition: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the pool did not warm up within 120 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** `acquire()` → lease on an attached worker; the worker is released (destroyed) after each sample. */
async function acquireLatency(pool: MeasuredPool, rounds: number, warm: boolean): Promise<number[]> {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    if (warm) await until(() => pool.stats().idle >= 1 && pool.stats().starting === 0);
    else await until(() => pool.stats().total === 0);
    const t0 = performance.now();
    const lease = await pool.acquire();
    samples.push(performance.now() - t0);
    if (lease.warm !== warm) throw new Error(`expected a ${warm ? 'warm' : 'cold'} lease`);
    await lease.release();
  }
  return samples;
}

/** `count` acquires at once, each lease released as soon as it is served: ms until the last one is served. */
async function burst(pool: MeasuredPool, count: number): Promise<number> {
  const t0 = performance.now();
  let last = 0;
  await Promise.all(
    Array.from({ length: count }, async () => {
      const lease = await pool.acquire();
      last = performance.now() - t0;
      await lease.release();
    }),
  );
  return last;
}

/**
 * Warm pool vs cold start on the Docker engine with probe workers: single acquires (warm: a worker
 * was idle; cold: the pool has none, so the acquire starts one), and a burst of acquires on a pool
 * with idle workers vs the same burst on a pool without, and on one that reuses released workers.
 */
export async function measureWorkerPool(options: { quick: boolean }): Promise<Figure[]> {
  const rounds = options.quick ? 3 : 20;
  const burstSize = options.quick ? 10 : 50;
  const burstIdle = options.quick ? 2 : 5;
  const burstMax = options.quick ? 5 : 20;
  const bursts = options.quick ? 1 : 3;
  const image = await ensureProbeImage();
  const server = await startAttachServer();
  const warm: number[] = [];
  const cold: number[] = [];
  const warmBursts: number[] = [];
  const coldBursts: number[] = [];
  const reuseBursts: number[] = [];
  try {
    const warmPool = dockerPool(server, image, { namePrefix: 'bench-warm', idle: 1, max: 2 });
    const coldPool = dockerPool(server, image, { namePrefix: 'bench-cold', idle: 0, max: 1 });
    try {
      // Interleaved so that drift in the machine's load hits both alike; one of each not counted.
      await acquireLatency(warmPool, 1, true);
      await acquireLatency(coldPool, 1, false);
      for (let round = 0; round < rounds; round += 1) {
        warm.push(...(await acquireLatency(warmPool, 1, true)));
        cold.push(...(await acquireLatency(coldPool, 1, false)));
      }
    } finally {
      await Promise.all([warmPool.close(), coldPool.close()]);
    }
    for (let round = 0; round < bursts; round += 1) {
      const pooled = dockerPool(server, image, {
        namePrefix: 'bench-burst',
        idle: burstIdle,
        max: burstMax,
        startConcurrency: burstMax,
      });
      try {
        await until(() => pooled.stats().idle === burstIdle);
        warmBursts.push(await burst(pooled, burstSize));
      } finally {
        await pooled.close();
      }
      const unpooled = dockerPool(server, image, {
        namePrefix: 'bench-cold-burst',
        idle: 0,
        max: burstMax,
        startConcurrency: burstMax,
      });
      try {
        coldBursts.push(await burst(unpooled, burstSize));
      } finally {
        await unpooled.close();
      }
      const reusing = dockerPool(server, image, {
        namePrefix: 'bench-reuse-burst',
        idle: burstIdle,
        max: burstMax,
        startConcurrency: burstMax,
        reuse: true,
      });
      try {
        await until(() => reusing.stats().idle === burstIdle);
        reuseBursts.push(await burst(reusing, burstSize));
      } finally {
        await reusing.close();
      }
    }
  } finally {
    await server.close();
    const docker = new Docker();
    const left = await docker.listContainers({ all: true, filters: { label: [`io.latentci.master=${MASTER_ID}`] } });
    await Promise.all(left.map((each) => docker.getContainer(each.Id).remove({ force: true })));
  }
  const group = `worker pool (docker, probe workers, ${rounds} acquires)`;
  const speedup = median(cold) / median(warm);
  return [
    single(
      group,
      'warm acquire → attached worker',
      warm,
      'ms',
      `goal p50 ≤ 5 ms; ${speedup.toFixed(0)}× faster than cold`,
    ),
    single(group, 'cold acquire (start + attach) → attached worker', cold, 'ms'),
    single(
      group,
      `burst of ${burstSize} acquires, idle ${burstIdle} / max ${burstMax}: all served`,
      warmBursts,
      'ms',
      `vs ${median(coldBursts).toFixed(0)} ms with idle 0 (every lease a cold start); ${bursts} bursts`,
    ),
    single(group, `burst of ${burstSize} acquires, idle 0 / max ${burstMax}: all served`, coldBursts, 'ms'),
    single(
      group,
      `burst of ${burstSize} acquires, idle ${burstIdle} / max ${burstMax}, reuse: all served`,
      reuseBursts,
      'ms',
      'a released worker serves the next waiter without a stop and a start',
    ),
  ];
}
