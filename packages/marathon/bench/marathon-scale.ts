/**
 * Marathon at scale: 1,000 workers (100 with `quick`) substantiated through the Marathon provider
 * against the simulator's virtual runtime (no containers), in rounds of concurrent workers. A
 * worker counts as attached when Marathon reports its task running (the attach is simulated).
 *
 *   npx tsx packages/marathon/bench/marathon-scale.ts [--quick]
 */
import { pathToFileURL } from 'node:url';
import { measureScaleRounds, printScaleFigures, type ScaleFigure } from '../../../bench/scale-rounds.js';
import { createMarathonProvider } from '../src/marathon-provider.js';
import { startMarathonSimulator } from '../src/simulator/marathon-simulator.js';

export async function measureMarathonScale(options: { quick: boolean }): Promise<ScaleFigure[]> {
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
    const run = await measureScaleRounds({
      quick: options.quick,
      start: async (request) => {
        const instance = await provider.startInstance(request, { signal });
        await attached(instance.id);
        return instance;
      },
      stop: (request, instance) =>
        provider.stopInstance(instance ? { request, instance } : { request }, { fast: !instance, signal }),
      startFigure: (workers) => `substantiate ${workers} workers (start → task running)`,
      stopFigure: 'stop (delete + deployment gone)',
    });
    return run.figures;
  } finally {
    await simulator.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printScaleFigures(await measureMarathonScale({ quick: process.argv.includes('--quick') }));
}
