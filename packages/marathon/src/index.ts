// The public API: the factories, the settings and option types, the instance type and the errors.
// Helpers stay internal; what every provider shares lives in @latentci/provider-utils.
export {
  DEFAULT_MARATHON_APP_PREFIX,
  type MarathonAppDefinitionInput,
  marathonAppDefinition,
  marathonAppId,
} from './app-definition.js';
export { MarathonAppRejectedError, MarathonAuthenticationError, type MarathonViolation } from './errors.js';
export type { MarathonAuth } from './marathon-auth.js';
export { type MarathonLatentWorkerOptions, marathonLatentWorker } from './marathon-latent-worker.js';
/** The provider factory under the conventional name every latentci provider package exports (used by `latentci` to load a provider by package name). */
export {
  createMarathonProvider,
  createMarathonProvider as createProvider,
  type MarathonInstance,
} from './marathon-provider.js';
export type { MarathonRenderable } from './render-settings.js';
export type { MarathonSettings } from './settings.js';
