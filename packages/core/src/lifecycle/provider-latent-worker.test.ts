import { describe, expect, it } from 'vitest';
import type { Logger } from '../logging/logger.js';
import { REDACTED } from '../secrets/redactor.js';
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
    expect(received).toMatchObject({ flavour: 'x' });
    (received as { logger: Logger }).logger.log('info', 'hello', { n: 1 });
    expect(logger.records.at(-1)).toMatchObject({ level: 'info', message: 'hello', fields: { n: 1 } });
    expect(worker.timings.buildWaitTimeout).toBe(0);
    expect(
      createProviderLatentWorker({ name: 'w', masterId: 'm', buildWaitTimeout: 60 }, () => new InMemoryProvider())
        .timings.buildWaitTimeout,
    ).toBe(60);
  });

  it("hand the provider a logger that already redacts the worker's password and the provider's secrets", () => {
    const logger = recordingLogger();
    let providerLogger: Logger | undefined;
    createProviderLatentWorker(
      { name: 'w', masterId: 'm', password: 'the-worker-password', logger },
      (settings) => {
        providerLogger = settings.logger;
        return new InMemoryProvider();
      },
      { secrets: ['the-api-secret-key', undefined] },
    );
    providerLogger?.log('warn', 'calling with the-api-secret-key for the-worker-password', {
      body: { key: 'the-api-secret-key' },
    });
    expect(logger.records.at(-1)).toMatchObject({
      message: `calling with ${REDACTED} for ${REDACTED}`,
      fields: { body: { key: REDACTED } },
    });
  });
});
