import { type InstanceHandle, LatentWorker, LatentWorkerState, type Provider } from '@latentci/core';
import { createDockerProvider } from '@latentci/docker';
import { type AttachServer, attachLatentWorker, ensureProbeImage, startAttachServer } from '@latentci/test-kit';
import { FLOOR_LABEL, type FloorPhases, floorCycle, removeLabelled } from './docker-floor.js';
import { compare, type Figure } from './statistics.js';

const MASTER_ID = 'latentci-bench';

interface OurPhases {
  /** `startInstance`: exact-name cleanup, image lookup, create, start. */
  start: number;
  /** From `startInstance` resolving to the worker attached. */
  attach: number;
  /** `stopInstance`: stop, wait, remove. */
  stop: number;
  /** Request → attached. */
  ready: number;
  /** Request → instance removed. */
  total: number;
}

/** Times the provider's hooks without changing them: what the core adds is outside these spans. */
function timed(provider: Provider, phases: Partial<OurPhases>): Provider {
  // Providers are often class instances: delegate to bound methods rather than spreading.
  const wrapped: Provider = {
    specificationVersion: provider.specificationVersion,
    provider: provider.provider,
    capabilities: provider.capabilities,
    async startInstance(request, options) {
      const t0 = performance.now();
      const instance = await provider.startInstance(request, options);
      phases.start = performance.now() - t0;
      return instance;
    },
    async stopInstance(target, options) {
      const t0 = performance.now();
      await provider.stopInstance(target as { request: typeof target.request; instance?: InstanceHandle }, options);
      phases.stop = performance.now() - t0;
    },
  };
  for (const hook of ['checkInstance', 'renderStartSettings', 'listOrphans', 'reapOrphans'] as const) {
    const method = provider[hook];
    if (method) Object.assign(wrapped, { [hook]: method.bind(provider) });
  }
  return wrapped;
}

function untilState(worker: LatentWorker, state: LatentWorkerState): Promise<void> {
  return new Promise((resolve) => {
    if (worker.state === state) return resolve();
    const off = worker.on('state', ({ to }) => {
      if (to === state) {
        off();
        resolve();
      }
    });
  });
}

/** One latentci cycle: substantiate → attached → build → idle stop → removed. */
async function latentciCycle(server: AttachServer, image: string, name: string): Promise<OurPhases> {
  const phases: Partial<OurPhases> = {};
  const provider = timed(createDockerProvider({ image }) as unknown as Provider, phases);
  const worker = new LatentWorker({
    name,
    provider,
    masterId: MASTER_ID,
    masterFQDN: `${server.host}:${server.port}`,
    buildWaitTimeout: 0,
    missingTimeout: 60,
    checkInstanceInterval: 1,
  });
  const unwire = attachLatentWorker(server, worker);
  try {
    const t0 = performance.now();
    await worker.substantiate();
    const ready = performance.now() - t0;
    worker.buildStarted();
    const stopped = untilState(worker, LatentWorkerState.NOT_SUBSTANTIATED);
    worker.buildFinished();
    await stopped;
    const total = performance.now() - t0;
    return { start: phases.start!, attach: ready - phases.start!, stop: phases.stop!, ready, total };
  } finally {
    unwire();
    await worker.shutdown();
  }
}

/**
 * Docker latency: N sequential cycles, interleaved A/B with the floor (the order alternates each
 * round so drift in the machine's load hits both equally).
 */
export async function measureDockerLatency(options: { quick: boolean }): Promise<Figure[]> {
  const rounds = options.quick ? 3 : Number(process.env.BENCH_DOCKER_ROUNDS ?? 20);
  const image = await ensureProbeImage();
  const server = await startAttachServer();
  const ours: OurPhases[] = [];
  const floor: FloorPhases[] = [];
  try {
    // One warm-up of each, not counted.
    await floorCycle(server, image, 'warmup-floor', { timeoutMs: 60_000 });
    await latentciCycle(server, image, 'warmup-latentci');
    for (let round = 0; round < rounds; round += 1) {
      const runFloor = () =>
        floorCycle(server, image, `floor-${round}`, { timeoutMs: 60_000 }).then((p) => floor.push(p));
      const runOurs = () => latentciCycle(server, image, `bench-${round}`).then((p) => ours.push(p));
      if (round % 2 === 0) {
        await runFloor();
        await runOurs();
      } else {
        await runOurs();
        await runFloor();
      }
    }
  } finally {
    await server.close();
    await removeLabelled(FLOOR_LABEL);
  }
  const group = `docker latency (${rounds} cycles)`;
  const floorStart = floor.map((p) => p.create + p.start);
  const floorReady = floor.map((p) => p.create + p.start + p.attach);
  const floorStop = floor.map((p) => p.stop + p.remove);
  const floorTotal = floor.map((p) => p.create + p.start + p.attach + p.stop + p.remove);
  const overhead = ours.map((p, index) => p.total - (floorTotal[index] ?? Number.NaN));
  const figures: Figure[] = [
    compare(
      group,
      'request → worker attached',
      ours.map((p) => p.ready),
      floorReady,
    ),
    compare(
      group,
      'start (create + start)',
      ours.map((p) => p.start),
      floorStart,
    ),
    compare(
      group,
      'attach (started → attached)',
      ours.map((p) => p.attach),
      floor.map((p) => p.attach),
    ),
    compare(
      group,
      'stop (stop + wait + remove)',
      ours.map((p) => p.stop),
      floorStop,
    ),
    compare(
      group,
      'whole cycle',
      ours.map((p) => p.total),
      floorTotal,
    ),
  ];
  const sortedOverhead = [...overhead].sort((a, b) => a - b);
  figures.push({
    group,
    figure: 'overhead over the floor (whole cycle)',
    unit: 'ms',
    median: sortedOverhead[Math.floor((sortedOverhead.length - 1) / 2)] ?? Number.NaN,
    p95: sortedOverhead[Math.ceil((sortedOverhead.length - 1) * 0.95)] ?? Number.NaN,
    note: 'target ≤ 5 ms median',
  });
  return figures;
}
