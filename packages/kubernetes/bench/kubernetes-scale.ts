/**
 * Kubernetes at scale: 1,000 workers (100 with `quick`) started and stopped through the
 * Kubernetes provider (the official client) against the simulator's virtual runtime (no
 * containers), in rounds of concurrent workers. A start ends when the provider has seen, through
 * its watch, the worker container running; a stop when the Pod is gone. Errors must be 0.
 *
 *   npx tsx packages/kubernetes/bench/kubernetes-scale.ts [--quick]
 */
import { pathToFileURL } from 'node:url';
import { measureScaleRounds, printScaleFigures, type ScaleFigure } from '../../../bench/scale-rounds.js';
import { createKubernetesProvider } from '../src/kubernetes-provider.js';
import { startKubernetesSimulator } from '../src/simulator/kubernetes-simulator.js';

export async function measureKubernetesScale(options: { quick: boolean }): Promise<ScaleFigure[]> {
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
  try {
    const run = await measureScaleRounds({
      quick: options.quick,
      start: (request) => provider.startInstance(request, { signal }),
      stop: (request, instance) =>
        provider.stopInstance(instance ? { request, instance } : { request }, { fast: !instance, signal }),
      startFigure: (workers) => `start ${workers} workers (create pod + secret → container running, seen by watch)`,
      stopFigure: 'stop (delete → pod gone, seen by watch)',
    });
    const leftovers = simulator.pods().length + simulator.secrets().length;
    if (leftovers > 0) throw new Error(`${leftovers} pods or secrets left after the run`);
    if (run.firstError) throw new Error(`${run.errors} of ${run.workers} workers failed; the first: ${run.firstError}`);
    return run.figures;
  } finally {
    await simulator.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printScaleFigures(await measureKubernetesScale({ quick: process.argv.includes('--quick') }));
}
