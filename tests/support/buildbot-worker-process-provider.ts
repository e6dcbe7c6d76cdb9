import type { InstanceHandle, ProviderV1 } from '@latentci/core';
import { type ExitStatus, type RealWorker, startRealWorker } from '@latentci/worker-protocol/testing';

export interface ProcessInstance extends InstanceHandle {
  readonly worker: RealWorker;
}

export interface BuildbotWorkerProcessProvider extends ProviderV1<ProcessInstance> {
  /** Workers started and not stopped yet. */
  readonly running: ReadonlySet<RealWorker>;
  /** How each stopped worker ended (`undefined` when it had to be killed after the grace period). */
  readonly exits: readonly (ExitStatus | undefined)[];
  /** Stops whatever still runs (test cleanup). */
  stopAll(): Promise<void>;
}

/**
 * A provider whose instances are real buildbot-worker processes (Debian's 3.7) started from the
 * environment contract (BUILDMASTER, BUILDMASTER_PORT, WORKERNAME, WORKERPASS). A stop grants the
 * worker 10 s to exit by itself (as `docker stop` does), then kills it.
 */
export function buildbotWorkerProcessProvider(): BuildbotWorkerProcessProvider {
  const running = new Set<RealWorker>();
  const exits: (ExitStatus | undefined)[] = [];
  return {
    specificationVersion: 'v1',
    provider: 'buildbot-worker-process',
    capabilities: { healthCheck: false, perBuildSettings: false, orphanReaping: false, startupLogs: false },
    running,
    exits,
    async startInstance(request) {
      const { environment } = request;
      const worker = await startRealWorker({
        host: environment.BUILDMASTER as string,
        port: Number(environment.BUILDMASTER_PORT),
        name: environment.WORKERNAME as string,
        password: environment.WORKERPASS as string,
      });
      running.add(worker);
      return { id: String(worker.pid), worker };
    },
    async stopInstance(target) {
      const worker = target.instance?.worker;
      if (!worker) return;
      const exit = await Promise.race([
        worker.exited,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10_000)),
      ]);
      await worker.stop();
      running.delete(worker);
      exits.push(exit);
    },
    async stopAll() {
      for (const worker of running) await worker.stop();
      running.clear();
    },
  };
}
