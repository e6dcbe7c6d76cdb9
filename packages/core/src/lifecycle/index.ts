export { buildResultForSubstantiationFailure, type SubstantiationBuildResult } from './build-result.js';
export { type Clock, systemClock } from './clock.js';
export { ConnectionRejectedError } from './connection-rejected-error.js';
export type { LatentWorkerEvents } from './events.js';
export {
  type AttachOptions,
  type BuildFinishedOptions,
  type BuildResult,
  type InsubstantiateOptions,
  LatentWorker,
  type SubstantiateOptions,
} from './latent-worker.js';
export {
  DEFAULT_BUILD_WAIT_TIMEOUT,
  DEFAULT_CHECK_INSTANCE_INTERVAL,
  DEFAULT_MASTER_PORT,
  DEFAULT_MASTER_PROTOCOL,
  DEFAULT_MISSING_TIMEOUT,
  type LatentWorkerOptions,
  type ResolvedTimings,
} from './options.js';
export {
  type CommonLatentWorkerOptions,
  createProviderLatentWorker,
  LATENT_WORKER_OPTION_NAMES,
  type ProviderLatentWorkerExtras,
  splitLatentWorkerOptions,
} from './provider-latent-worker.js';
export { QUARANTINE_INITIAL_TIMEOUT, QUARANTINE_MAX_TIMEOUT } from './quarantine.js';
export { LatentWorkerState } from './state.js';
