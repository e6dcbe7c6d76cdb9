export { type CallDescription, classifyFailure, decodeApiException } from './api-call.js';
export { deepMerge } from './deep-merge.js';
export {
  type KubernetesAnswer,
  KubernetesApiError,
  type KubernetesCause,
  KubernetesForbiddenError,
  KubernetesImagePullError,
  KubernetesInvalidObjectError,
  KubernetesNamespaceNotFoundError,
} from './errors.js';
export {
  type ExplicitClusterConfig,
  type KubeConfigDocument,
  type KubeConfigOption,
  type LoadedKubeConfig,
  loadKubeConfig,
  SERVICE_ACCOUNT_DIRECTORY,
} from './kube-config.js';
export { type KubernetesLatentWorkerOptions, kubernetesLatentWorker } from './kubernetes-latent-worker.js';
/** The provider factory under the conventional name every latentci provider package exports (used by `latentci` to load a provider by package name). */
export {
  createKubernetesProvider,
  createKubernetesProvider as createProvider,
  type KubernetesInstance,
} from './kubernetes-provider.js';
export type { KubernetesSettings } from './kubernetes-settings.js';
export { ownerLabelValue, ownerSelector } from './owner-labels.js';
export { type PodVerdict, podVerdict } from './pod-health.js';
export { PASSWORD_SECRET_KEY, passwordSecretManifest, podManifest } from './pod-manifest.js';
export { KUBERNETES_PROVIDER_RBAC_RULES } from './rbac-rules.js';
export type { KubernetesRenderable, RenderedKubernetesSettings } from './render-settings.js';
