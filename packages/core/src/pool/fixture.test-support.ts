import type { Clock } from '../lifecycle/clock.js';
import { LatentWorker } from '../lifecycle/latent-worker.js';
import { type HeldCall, type InMemoryInstance, InMemoryProvider } from '../testing/in-memory-provider.js';
import type { WorkerFactory } from './options.js';

/**
 * Test fixture: one in-memory "backend" whose workers attach on their own (like a probe connecting
 * back), with fault hooks that apply to the next starts. Each worker has its own provider, so every
 * start and stop is counted per instance.
 */
export function inMemoryBackend(clock: Clock, options: { readonly masterId?: string } = {}) {
  const providers: InMemoryProvider[] = [];
  const workers: LatentWorker<InMemoryInstance>[] = [];
  let failures = 0;
  let crashes = 0;
  let holds = 0;
  const held: HeldCall[] = [];
  const createWorker: WorkerFactory<InMemoryInstance> = (name, { password }) => {
    const provider = new InMemoryProvider();
    if (failures > 0) {
      failures -= 1;
      provider.failNextStart();
    } else if (holds > 0) {
      holds -= 1;
      held.push(provider.holdNextStart());
    } else if (crashes > 0) {
      crashes -= 1;
      provider.crashNextInstance('the worker exited before connecting');
    }
    const worker = new LatentWorker<InMemoryInstance>({
      name,
      password,
      provider,
      masterId: options.masterId ?? 'pool-tests',
      masterFQDN: 'master.example.org:9989',
      clock,
      buildWaitTimeout: 0,
      missingTimeout: 60,
      checkInstanceInterval: 1,
    });
    provider.autoAttach(worker);
    providers.push(provider);
    workers.push(worker);
    return worker;
  };
  return {
    createWorker,
    providers,
    workers,
    /** The next `count` starts fail (FailedToSubstantiateError). */
    failNextStarts(count: number) {
      failures += count;
    },
    /** The next `count` starts wait until the test releases them (see `held`). */
    holdNextStarts(count: number) {
      holds += count;
    },
    /** The starts held so far, in order. */
    held,
    /** Every following start fails until `heal()`. */
    breakDown() {
      failures = Number.POSITIVE_INFINITY;
    },
    /** Starts succeed again: no failure, hold or crash is pending. */
    heal() {
      failures = 0;
      holds = 0;
      crashes = 0;
    },
    /** The next instance dies before its worker connects (checkInstance finds it). */
    crashNextInstance() {
      crashes += 1;
    },
    get liveInstances(): InMemoryInstance[] {
      return providers.flatMap((provider) => [...provider.liveInstances]);
    },
    get startCount(): number {
      return providers.reduce((sum, provider) => sum + provider.startCount, 0);
    },
    get stopCount(): number {
      return providers.reduce((sum, provider) => sum + provider.stopCount, 0);
    },
  };
}

export type InMemoryBackend = ReturnType<typeof inMemoryBackend>;
