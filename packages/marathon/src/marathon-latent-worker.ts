import { type CommonLatentWorkerOptions, createProviderLatentWorker, type LatentWorker } from '@latentci/core';
import { createMarathonProvider, type MarathonInstance } from './marathon-provider.js';
import type { MarathonSettings } from './settings.js';

/** Options of {@link marathonLatentWorker}: the Marathon settings plus the latent worker's common options. */
export type MarathonLatentWorkerOptions = MarathonSettings & CommonLatentWorkerOptions<MarathonInstance>;

/**
 * Buildbot's `MarathonLatentWorker`: a `LatentWorker` whose instances are one-instance Marathon
 * apps. `buildWaitTimeout` defaults to 0 (stop as soon as idle), as in Buildbot; `logger` is
 * shared by the worker and the provider.
 */
export function marathonLatentWorker(options: MarathonLatentWorkerOptions): LatentWorker<MarathonInstance> {
  return createProviderLatentWorker<MarathonSettings, MarathonInstance>(options, createMarathonProvider);
}
