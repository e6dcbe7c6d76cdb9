/**
 * Marathon at scale: 1,000 workers (100 with `quick`) substantiated through the Marathon provider
 * against the simulator's virtual runtime (no containers), in rounds of concurrent workers. A
 * worker counts as attached when Marathon reports its task running (the attach is simulated).
 *
 *   npx tsx packages/marathon/bench/marathon-scale.ts [--quick]
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createStartInstanceRequest, type StartInstanceRequest } from '@latentci/core';
import { createMarathonProvider } from '../src/marathon-provider.js';
import { startMarathonSimulator } from '../src/simulator/marathon-simulator.js';

export interface MarathonScaleFigure {
  figure: string;
  unit: string;
  median: number;
  p95: number;
}

function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? 0;
}

function request(index: number): StartInstanceRequest {
  return createStartInstanceRequest({
    workerName: `scale-${index}`,
    password: `bench-password-${index}`,
    masterId: 'bench-master',
    master: { host: '172.17.0.1', port: 9989 },
  });
}

export async function measureMarathonScale(options: { quick: boolean }): Promise<MarathonScaleFigure[]> {
  const workers = options.quick ? 100 : 1000;
  const roundSize = options.quick ? 20 : 100;
  const simulator = await startMarathonSimulator({
    runtime: 'virtual',
    deploymentDuration: 0,
    maxRunningDeployments: 10_000,
  });
  const provider = createMarathonProvider({
    marathonUrl: simulator.url,
    image: 'buildbot/buildbot-worker:master',
    deploymentPollIntervalMs: 5,
    retryDelayMs: 5,
  });
  const signal = new AbortController().signal;
  const startLatencies: number[] = [];
  const stopLatencies: number[] = [];
  const throughputs: number[] = [];
  const errorsPerRound: number[] = [];

  async function attached(appId: string): Promise<void> {
    for (;;) {
      const body = (await fetch(`${simulator.url}/v2/apps${appId}`).then((response) => response.json())) as {
        app?: { tasksRunning?: number };
      };
      if ((body.app?.tasksRunning ?? 0) >= 1) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  try {
    for (let first = 0; first < workers; first += roundSize) {
      const indexes = Array.from({ length: Math.min(roundSize, workers - first) }, (_, offset) => first + offset);
      let errors = 0;
      const began = performance.now();
      await Promise.all(
        indexes.map(async (index) => {
          const startRequest = request(index);
          const started = performance.now();
          try {
            const instance = await provider.startInstance(startRequest, { signal });
            await attached(instance.id);
            startLatencies.push(performance.now() - started);
            const stopping = performance.now();
            await provider.stopInstance({ request: startRequest, instance }, { fast: false, signal });
            stopLatencies.push(performance.now() - stopping);
          } catch {
            errors += 1;
            await provider.stopInstance({ request: startRequest }, { fast: true, signal });
          }
        }),
      );
      const seconds = (performance.now() - began) / 1000;
      throughputs.push(indexes.length / seconds);
      errorsPerRound.push(errors);
    }
  } finally {
    await simulator.close();
  }
  return [
    {
      figure: `substantiate ${workers} workers (start → task running)`,
      unit: 'ms',
      median: percentile(startLatencies, 0.5),
      p95: percentile(startLatencies, 0.95),
    },
    {
      figure: 'stop (delete + deployment gone)',
      unit: 'ms',
      median: percentile(stopLatencies, 0.5),
      p95: percentile(stopLatencies, 0.95),
    },
    {
      figure: `throughput, rounds of ${roundSize} concurrent workers`,
      unit: 'workers/s',
      median: percentile(throughputs, 0.5),
      p95: percentile(throughputs, 0.95),
    },
    {
      figure: 'errors per round',
      unit: 'count',
      median: percentile(errorsPerRound, 0.5),
      p95: percentile(errorsPerRound, 0.95),
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await measureMarathonScale({ quick: process.argv.includes('--quick') });
  for (const figure of figures) {
    console.log(
      `${figure.figure}: median ${figure.median.toFixed(1)} ${figure.unit}, p95 ${figure.p95.toFixed(1)} ${figure.unit}`,
    );
  }
}
