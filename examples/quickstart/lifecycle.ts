/**
 * The latent-worker lifecycle from code, with a readable timeline: a worker is substantiated for a
 * first build (an instance starts and its worker connects back to the master), a second build
 * reuses the running instance, the worker then stays idle for `buildWaitTimeout` and its instance
 * is stopped, and the worker is shut down with nothing left running.
 *
 *   pnpm --filter @latentci-example/quickstart lifecycle               # Docker (the probe image)
 *   pnpm --filter @latentci-example/quickstart lifecycle --in-memory   # no Docker needed
 */
import { pathToFileURL } from 'node:url';
import { simulateInMemoryWorkers } from '@latentci/cli';
import { LatentWorker, LatentWorkerState, type Provider } from '@latentci/core';
import { createInMemoryProvider } from '@latentci/core/testing';
import { createDockerProvider } from '@latentci/docker';
import { attachLatentWorker, ensureProbeImage, startAttachServer } from '@latentci/test-kit';

export interface LifecycleOptions {
  /** Starts the instances. */
  readonly provider: Provider;
  /** Where the stand-in master listens and the worker connects: 172.17.0.1 for Docker containers. */
  readonly host: string;
  /** How long each "build" runs. Default 1. */
  readonly buildSeconds?: number;
  /** `buildWaitTimeout`: idle seconds before the instance is stopped. Default 2. */
  readonly idleSeconds?: number;
  /** Receives each timeline line as it happens. Default: console.log. */
  readonly print?: (line: string) => void;
}

const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** Runs the lifecycle and resolves with its timeline (one line per step, with elapsed seconds). */
export async function runLifecycle(options: LifecycleOptions): Promise<string[]> {
  const { provider, host, buildSeconds = 1, idleSeconds = 2, print = console.log } = options;
  const started = Date.now();
  const timeline: string[] = [];
  const at = (message: string) => {
    const line = `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`;
    timeline.push(line);
    print(line);
  };

  // A stand-in master: it checks the name and password the worker presents, like a Buildbot master.
  const master = await startAttachServer({ host, port: 0 });
  const worker = new LatentWorker({
    name: 'quickstart-worker',
    masterId: 'latentci-quickstart-lifecycle',
    provider,
    masterFQDN: master.masterFQDN,
    buildWaitTimeout: idleSeconds,
    missingTimeout: 60,
    checkInstanceInterval: 1,
  });
  const unwire = attachLatentWorker(master, worker);
  worker.on('state', ({ to }) => at(`state → ${to}`));
  worker.on('log', ({ line }) => at(`  instance │ ${line}`));
  at(`master listening on ${master.masterFQDN}; provider ${provider.provider}`);
  try {
    for (const build of [1, 2]) {
      const reuse = worker.substantiated;
      at(
        `build ${build} requested${reuse ? ': the instance is still running, reusing it' : ': substantiating a worker'}`,
      );
      await worker.substantiate();
      worker.buildStarted();
      at(`build ${build} running on ${worker.name}`);
      await sleep(buildSeconds);
      worker.buildFinished({ result: 'SUCCESS' });
      at(`build ${build} finished`);
    }
    at(`no more builds: the instance stops after buildWaitTimeout (${idleSeconds}s idle)`);
    await new Promise<void>((resolve) => {
      const stop = worker.on('state', ({ to }) => {
        if (to === LatentWorkerState.NOT_SUBSTANTIATED) {
          stop();
          resolve();
        }
      });
    });
    at('idle instance stopped and removed');
  } finally {
    await worker.shutdown();
    unwire();
    await master.close();
    at('worker shut down; nothing left running');
  }
  return timeline;
}

async function main(): Promise<void> {
  if (process.argv.includes('--in-memory')) {
    const provider = createInMemoryProvider({ startupLogs: ['in-memory instance booting'] });
    simulateInMemoryWorkers(provider);
    await runLifecycle({ provider, host: '127.0.0.1' });
    return;
  }
  const image = await ensureProbeImage();
  await runLifecycle({ provider: createDockerProvider({ image, followStartupLogs: true }), host: '172.17.0.1' });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
