import { LatentWorker } from '@latentci/core';
import { createDockerProvider } from '@latentci/docker';
import { attachLatentWorker, ensureProbeImage, startAttachServer } from '@latentci/test-kit';
import { FLOOR_LABEL, floorCycle, removeLabelled } from './docker-floor.js';
import { compare, type Figure } from './statistics.js';

async function countManaged(label: string): Promise<number> {
  const { default: Docker } = await import('dockerode');
  const containers = await new Docker().listContainers({ all: true, filters: { label: [label] } });
  return containers.length;
}

/**
 * Docker concurrency: `count` workers substantiated at once (until every one attached), against
 * the raw parallel floor. Every worker must attach; leaks are counted after teardown.
 */
export async function measureDockerConcurrency(options: { quick: boolean }): Promise<Figure[]> {
  const sizes = options.quick ? [10] : [25, 50];
  const image = await ensureProbeImage();
  const figures: Figure[] = [];
  for (const count of sizes) {
    const server = await startAttachServer();
    const masterId = `latentci-bench-concurrency-${count}`;
    let ours = Number.NaN;
    let floor = Number.NaN;
    let attached = 0;
    let leaks = 0;
    try {
      // Floor: raw create+start of `count` containers at once, until every probe connected.
      const floorStart = performance.now();
      await Promise.all(
        Array.from({ length: count }, (_, index) =>
          floorCycle(server, image, `floor-${count}-${index}`, { timeoutMs: 120_000 }),
        ),
      );
      floor = performance.now() - floorStart;

      const workers = Array.from(
        { length: count },
        (_, index) =>
          new LatentWorker({
            name: `bench-${count}-${index}`,
            provider: createDockerProvider({ image }),
            masterId,
            masterFQDN: `${server.host}:${server.port}`,
            buildWaitTimeout: 0,
            missingTimeout: 120,
            checkInstanceInterval: 2,
          }),
      );
      const unwire = workers.map((worker) => attachLatentWorker(server, worker));
      const oursStart = performance.now();
      const results = await Promise.allSettled(workers.map((worker) => worker.substantiate()));
      attached = results.filter((result) => result.status === 'fulfilled').length;
      await Promise.all(workers.map((worker) => worker.shutdown()));
      ours = performance.now() - oursStart;
      for (const off of unwire) off();
      leaks = await countManaged(`io.latentci.master=${masterId}`);
    } finally {
      await server.close();
      await removeLabelled(FLOOR_LABEL);
    }
    figures.push({
      ...compare(`docker concurrency (${count} at once)`, 'all substantiated, attached and removed', [ours], [floor]),
      note: `${attached}/${count} attached, ${leaks} leaked`,
    });
    if (attached !== count || leaks !== 0) process.exitCode = 1;
  }
  return figures;
}
