/**
 * Kubernetes at scale: 1,000 workers (100 with `quick`) started and stopped through the
 * Kubernetes provider (the official client) against the simulator's virtual runtime (no
 * containers), in rounds of concurrent workers. A start ends when the provider has seen, through
 * its watch, the worker container running; a stop when the Pod is gone. Errors must be 0.
 *
 *   npx tsx packages/kubernetes/bench/kubernetes-scale.ts [--quick]
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { createStartInstanceRequest, type StartInstanceRequest } from '@latentci/core';
import { createKubernetesProvider } from '../src/kubernetes-provider.js';
import { startKubernetesSimulator } from '../src/simulator/kubernetes-simulator.js';

export interface KubernetesScaleFigure {
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

export async function measureKubernetesScale(options: { quick: boolean }): Promise<KubernetesScaleFigure[]> {
  const workers = options.quick ? 100 : 1000;
  const roundSize = options.quick ? 20 : 100;
  const simulator = await startKubernetesSimulator({
    runtime: 'virtual',
    auth: { tokens: { bench: { name: 'bench' } } },
  });
  const provider = createKubernetesProvider({
    image: 'buildbot/buildbot-worker:master',
    kubeConfig: { server: simulator.url, token: 'bench' },
    retryDelay: 5,
  });
  const signal = new AbortController().signal;
  const startLatencies: number[] = [];
  const stopLatencies: number[] = [];
  const throughputs: number[] = [];
  const errorsPerRound: number[] = [];
  let firstError: string | undefined;

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
            startLatencies.push(performance.now() - started);
            const stopping = performance.now();
            await provider.stopInstance({ request: startRequest, instance }, { fast: false, signal });
            stopLatencies.push(performance.now() - stopping);
          } catch (error) {
            errors += 1;
            firstError ??= error instanceof Error ? error.message : String(error);
            await provider.stopInstance({ request: startRequest }, { fast: true, signal });
          }
        }),
      );
      const seconds = (performance.now() - began) / 1000;
      throughputs.push(indexes.length / seconds);
      errorsPerRound.push(errors);
    }
    const leftovers = simulator.pods().length + simulator.secrets().length;
    if (leftovers > 0) throw new Error(`${leftovers} pods or secrets left after the run`);
  } finally {
    await simulator.close();
  }
  const errors = errorsPerRound.reduce((sum, count) => sum + count, 0);
  if (firstError) throw new Error(`${errors} of ${workers} workers failed; the first: ${firstError}`);
  return [
    {
      figure: `start ${workers} workers (create pod + secret → container running, seen by watch)`,
      unit: 'ms',
      median: percentile(startLatencies, 0.5),
      p95: percentile(startLatencies, 0.95),
    },
    {
      figure: 'stop (delete → pod gone, seen by watch)',
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
      p95: Math.max(0, ...errorsPerRound),
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await measureKubernetesScale({ quick: process.argv.includes('--quick') });
  for (const figure of figures) {
    console.log(
      `${figure.figure}: median ${figure.median.toFixed(1)} ${figure.unit}, p95 ${figure.p95.toFixed(1)} ${figure.unit}`,
    );
  }
}
