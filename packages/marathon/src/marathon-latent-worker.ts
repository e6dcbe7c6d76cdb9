import { LatentWorker, type LatentWorkerOptions } from '@latentci/core';
import { createMarathonProvider, type MarathonInstance } from './marathon-provider.js';
import type { MarathonSettings } from './marathon-settings.js';

/** Options of {@link marathonLatentWorker}: the Marathon settings plus the latent worker's common options. */
export type MarathonLatentWorkerOptions = MarathonSettings & Omit<LatentWorkerOptions<MarathonInstance>, 'provider'>;

/**
 * Buildbot's `MarathonLatentWorker`: a `LatentWorker` whose instances are one-instance Marathon
 * apps. `buildWaitTimeout` defaults to 0 (stop as soon as idle), as in Buildbot; `logger` is
 * shared by the worker and the provider.
 */
export function marathonLatentWorker(options: MarathonLatentWorkerOptions): LatentWorker<MarathonInstance> {
  const {
    name,
    password,
    masterId,
    masterPort,
    masterFQDN,
    masterProtocol,
    buildWaitTimeout,
    missingTimeout,
    checkInstanceInterval,
    maxBuilds,
    properties,
    logger,
    clock,
    signal,
    redactor,
    ...settings
  } = options;
  const provider = createMarathonProvider({ ...settings, ...(logger ? { logger } : {}) });
  return new LatentWorker<MarathonInstance>({
    name,
    password,
    masterId,
    masterPort,
    masterFQDN,
    masterProtocol,
    buildWaitTimeout: buildWaitTimeout ?? 0,
    missingTimeout,
    checkInstanceInterval,
    maxBuilds,
    properties,
    logger,
    clock,
    signal,
    redactor,
    provider,
  });
}
