// The public API: the factories, the settings and option types, the instance type. Helpers stay
// internal; what every provider shares lives in @latentci/provider-utils.
export type { ResolvedImage } from './image-resolution.js';
export type { RenderedSwarmSettings } from './service-spec.js';
export type {
  Renderable,
  SwarmMount,
  SwarmProviderSettings,
  SwarmResourceAmounts,
  SwarmResources,
} from './settings.js';
export { type SwarmLatentWorkerOptions, swarmLatentWorker } from './swarm-latent-worker.js';
/** The provider factory under the conventional name every latentci provider package exports. */
export {
  createSwarmProvider,
  createSwarmProvider as createProvider,
  type SwarmInstance,
  type SwarmProvider,
} from './swarm-provider.js';
