// The public API: the factories, the settings and option types, the instance type and the errors.
// Helpers stay internal; what every provider shares lives in @latentci/provider-utils.
export {
  HyperApiError,
  HyperAuthenticationError,
  type HyperCallDetails,
  HyperClockSkewError,
  HyperPayloadRejectedError,
  HyperRequestRejectedError,
  ImageNotFoundError,
} from './errors.js';
export { type HyperLatentWorkerOptions, hyperLatentWorker } from './hyper-latent-worker.js';
/** The provider factory under the conventional name every latentci provider package exports (used by `latentci` to load a provider by package name). */
export {
  createHyperProvider,
  createHyperProvider as createProvider,
  type HyperInstance,
  type HyperStartSettings,
} from './hyper-provider.js';
export { DEFAULT_SIZE, HYPER_SIZES, type HyperSize } from './hyper-sizes.js';
export type { HyperProviderSettings } from './settings.js';
export { type HyperSignedHeaders, type SignHyperRequestInput, signHyperRequest } from './signing/sign-hyper-request.js';
