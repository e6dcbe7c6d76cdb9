export type { RenderableSetting as Renderable } from '@latentci/provider-utils';
export {
  createDockerClient,
  DEFAULT_DOCKER_HOST,
  type DockerEndpoint,
  type DockerTls,
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
  DOCKER_CAPABILITIES,
  type DockerInstance,
  DockerProvider,
  HEALTH_CHECK_LOG_LINES,
  type RenderedDockerSettings,
} from './docker-provider.js';
export {
  ContainerNameConflictError,
  DockerApiError,
  DockerEngineUnreachableError,
  DockerTlsError,
  ImageNotFoundError,
  InvalidHostConfigValueError,
  InvalidVolumeError,
  UnknownHostConfigKeyError,
  WrongImagePlatformError,
} from './errors.js';
export { toEngineHostConfig } from './host-config.js';
export { imageMatches } from './image-reference.js';
export { DOCKER_SETTING_NAMES, type DockerProviderSettings } from './settings.js';
export { type ParsedVolume, parseVolume } from './volumes.js';
