import { type CommonLatentWorkerOptions, createProviderLatentWorker, type LatentWorker } from '@latentci/core';
import { settingOrEnvironment } from '@latentci/provider-utils';
import { createHyperProvider, type HyperInstance } from './hyper-provider.js';
import type { HyperProviderSettings } from './settings.js';

/** Options of {@link hyperLatentWorker}: the common latent-worker options plus the Hyper settings. */
export type HyperLatentWorkerOptions = CommonLatentWorkerOptions<HyperInstance> & Omit<HyperProviderSettings, 'logger'>;

/**
 * Buildbot's `HyperLatentWorker`: a `LatentWorker` whose instances are Hyper containers.
 * `buildWaitTimeout` defaults to 0 (stop as soon as idle), as in Buildbot; `logger` is shared by
 * the worker and the provider.
 */
export function hyperLatentWorker(options: HyperLatentWorkerOptions): LatentWorker<HyperInstance> {
  // The secret key, also when it comes from HYPER_SECRETKEY, is a secret of the master's too.
  const secretKey = settingOrEnvironment({
    name: 'secretKey',
    value: options.secretKey,
    variable: 'HYPER_SECRETKEY',
    env: options.env,
  });
  return createProviderLatentWorker<Omit<HyperProviderSettings, 'logger'>, HyperInstance>(
    options,
    createHyperProvider,
    {
      secrets: [secretKey],
    },
  );
}
