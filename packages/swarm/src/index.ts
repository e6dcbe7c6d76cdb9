export { type ResolvedImage, resolveServiceImage } from './image-resolution.js';
export { assertServiceName } from './service-name.js';
export { buildServiceSpec, memoryBytes, type RenderedSwarmSettings } from './service-spec.js';
export {
  type Renderable,
  SWARM_SETTING_NAMES,
  type SwarmMount,
  type SwarmProviderSettings,
  type SwarmResourceAmounts,
  type SwarmResources,
} from './settings.js';
export { type SwarmLatentWorkerOptions, swarmLatentWorker } from './swarm-latent-worker.js';
/** The provider factory under the conventional name every latentci provider package exports. */
export {
  createSwarmProvider,
  createSwarmProvider as createProvider,
  SWARM_CAPABILITIES,
  type SwarmInstance,
  SwarmProvider,
} from './swarm-provider.js';
export { HEALTH_CHECK_LOG_LINES } from './task-health.js';
