import { type CommonLatentWorkerOptions, createProviderLatentWorker, type LatentWorker } from '@latentci/core';
import type { SwarmProviderSettings } from './settings.js';
import { createSwarmProvider, type SwarmInstance } from './swarm-provider.js';

/**
 * Options of {@link swarmLatentWorker}: the Swarm settings plus `LatentWorker`'s common options
 * (`name`, `password`, `masterId`, `masterFQDN`, `masterPort`, `buildWaitTimeout`,
 * `missingTimeout`, `checkInstanceInterval`, `maxBuilds`, `properties`, `clock`, `signal`…).
 */
export interface SwarmLatentWorkerOptions
  extends SwarmProviderSettings,
    Omit<CommonLatentWorkerOptions<SwarmInstance>, 'logger'> {
  readonly logger?: SwarmProviderSettings['logger'];
}

/**
 * A `LatentWorker` whose instances are single-replica Docker Swarm services. Settings are
 * validated now (`ConfigurationError`).
 *
 * @example
 * const worker = swarmLatentWorker({ name: 'swarm-1', masterId: 'ci-master', image: 'registry.example.org/buildbot-worker:3.7', masterFQDN: 'ci.example.org:9989' });
 */
export function swarmLatentWorker(options: SwarmLatentWorkerOptions): LatentWorker<SwarmInstance> {
  return createProviderLatentWorker<SwarmProviderSettings, SwarmInstance>(options, createSwarmProvider);
}
