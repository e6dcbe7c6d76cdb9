import type { InMemoryInstance } from '../testing/in-memory-provider.js';
import { InMemoryProvider, type InMemoryProviderOptions } from '../testing/in-memory-provider.js';
import { manualClock } from '../testing/manual-clock.js';
import { recordingLogger } from '../testing/recording-logger.js';
import { LatentWorker } from './latent-worker.js';
import type { LatentWorkerOptions } from './options.js';

/** Test fixture: a worker on the in-memory provider with a manual clock and a recording logger. */
export function workerFixture(
  options: Partial<LatentWorkerOptions<InMemoryInstance>> = {},
  providerOptions: InMemoryProviderOptions = {},
) {
  const clock = manualClock();
  const provider = new InMemoryProvider(providerOptions);
  const logger = recordingLogger();
  const worker = new LatentWorker<InMemoryInstance>({
    name: 'bot1',
    masterId: 'master-1',
    masterFQDN: 'master.example.org',
    provider,
    clock,
    logger,
    ...options,
  });
  return { clock, provider, logger, worker };
}

/** Observes a promise without awaiting it: `state()` says whether it settled and how. */
export function observe<T>(promise: Promise<T>) {
  let outcome: { status: 'pending' } | { status: 'resolved'; value: T } | { status: 'rejected'; error: unknown } = {
    status: 'pending',
  };
  promise.then(
    (value) => {
      outcome = { status: 'resolved', value };
    },
    (error: unknown) => {
      outcome = { status: 'rejected', error };
    },
  );
  return {
    get status() {
      return outcome.status;
    },
    get error(): unknown {
      return outcome.status === 'rejected' ? outcome.error : undefined;
    },
  };
}
