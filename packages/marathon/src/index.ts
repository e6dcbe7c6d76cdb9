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
