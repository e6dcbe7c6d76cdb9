// The public API: the factories, the settings and option types, the instance type and the errors.
// Helpers stay internal; what every provider shares lives in @latentci/provider-utils.

export type { RenderableSetting as Renderable } from '@latentci/provider-utils';
// The engine connection (dockerHost, TLS, DOCKER_HOST), shared with providers on the same engine
// API such as @latentci/swarm.
export {
  createDockerClient,
  type DockerEndpoint,
  type DockerTlsSettings,
  defaultDockerHost,
  type PemSource,
  parseDockerHost,
} from './docker-connection.js';
export { type DockerLatentWorkerOptions, dockerLatentWorker } from './docker-latent-worker.js';
/** The provider factory under the conventional name every latentci provider package exports (used by `latentci` to load a provider by package name). */
export {
  createDockerProvider,
  createDockerProvider as createProvider,
  type DockerInstance,
  type DockerProvider,
  type RenderedDockerSettings,
} from './docker-provider.js';
export {
  ContainerNameConflictError,
  DockerApiError,
  DockerEngineUnreachableError,
  DockerRequestRejectedError,
  DockerTlsError,
  ImageNotFoundError,
  InvalidHostConfigValueError,
  InvalidVolumeError,
  UnknownHostConfigKeyError,
  WrongImagePlatformError,
} from './errors.js';
export type { DockerProviderSettings } from './settings.js';
