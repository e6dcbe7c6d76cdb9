import { describe, expect, it } from 'vitest';
import { InMemoryProvider } from '../testing/in-memory-provider.js';
import { recordingLogger } from '../testing/recording-logger.js';
import { createProviderLatentWorker, splitLatentWorkerOptions } from './provider-latent-worker.js';

describe('provider worker factories', () => {
  it('split the options: LatentWorker’s own ones, and every other one as a provider setting', () => {
    const { common, settings } = splitLatentWorkerOptions({
      name: 'w',
      masterId: 'm',
      stopTimeout: 30,
      missingTimeout: undefined,
      image: 'worker:1',
      size: 's3',
    });
    expect(common).toEqual({ name: 'w', masterId: 'm', stopTimeout: 30 });
    expect(settings).toEqual({ image: 'worker:1', size: 's3' });
  });

  it('create the provider with its settings and the worker’s logger, and default buildWaitTimeout to 0', () => {
    const logger = recordingLogger();
    let received: unknown;
    const worker = createProviderLatentWorker({ name: 'w', masterId: 'm', logger, flavour: 'x' }, (settings) => {
      received = settings;
      return new InMemoryProvider();
    });
    expect(received).toEqual({ flavour: 'x', logger });
    expect(worker.timings.buildWaitTimeout).toBe(0);
    expect(
      createProviderLatentWorker({ name: 'w', masterId: 'm', buildWaitTimeout: 60 }, () => new InMemoryProvider())
        .timings.buildWaitTimeout,
    ).toBe(60);
  });
});
