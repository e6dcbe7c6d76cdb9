// The public API: the factories, the settings and option types, the instance type and the errors.
// Helpers stay internal; what every provider shares lives in @latentci/provider-utils.
export {
  type KubernetesAnswer,
  KubernetesApiError,
  type KubernetesCause,
  KubernetesForbiddenError,
  KubernetesImagePullError,
  KubernetesInvalidObjectError,
  KubernetesNamespaceNotFoundError,
} from './errors.js';
export type { ExplicitClusterConfig, KubeConfigDocument, KubeConfigOption, LoadedKubeConfig } from './kube-config.js';
export { type KubernetesLatentWorkerOptions, kubernetesLatentWorker } from './kubernetes-latent-worker.js';
/** The provider factory under the conventional name every latentci provider package exports (used by `latentci` to load a provider by package name). */
export {
  createKubernetesProvider,
  createKubernetesProvider as createProvider,
  type KubernetesInstance,
} from './kubernetes-provider.js';
export type { KubernetesSettings } from './kubernetes-settings.js';
export { KUBERNETES_PROVIDER_RBAC_RULES } from './rbac-rules.js';
export type { KubernetesRenderable, RenderedKubernetesSettings } from './render-settings.js';
