export {
  HyperApiError,
  HyperAuthenticationError,
  type HyperCallDetails,
  HyperClockSkewError,
  HyperPayloadRejectedError,
  ImageNotFoundError,
} from './errors.js';
export { HYPER_API_PREFIX } from './hyper-client.js';
export { hyperBaseUrl } from './hyper-endpoint.js';
export { type HyperLatentWorkerOptions, hyperLatentWorker } from './hyper-latent-worker.js';
/** The provider factory under the conventional name every latentci provider package exports (used by `latentci` to load a provider by package name). */
export {
  createHyperProvider,
  createHyperProvider as createProvider,
  type HyperInstance,
  type HyperStartSettings,
} from './hyper-provider.js';
export { DEFAULT_SIZE, HYPER_SIZES, type HyperSize, SIZE_LABEL } from './hyper-sizes.js';
export type { HyperProviderSettings } from './settings.js';
export { HYPER_SIGNING } from './signing/constants.js';
export { type HyperSignedHeaders, type SignHyperRequestInput, signHyperRequest } from './signing/sign-hyper-request.js';
