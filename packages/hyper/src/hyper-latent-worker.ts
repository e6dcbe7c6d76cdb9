import { type CommonLatentWorkerOptions, createProviderLatentWorker, type LatentWorker } from '@latentci/core';
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
  const worker = createProviderLatentWorker<Omit<HyperProviderSettings, 'logger'>, HyperInstance>(
    options,
    createHyperProvider,
  );
  // The secret key, also when it comes from HYPER_SECRETKEY, is a secret of the master's too.
  options.redactor?.add(options.secretKey ?? (options.env ?? process.env).HYPER_SECRETKEY);
  return worker;
}
