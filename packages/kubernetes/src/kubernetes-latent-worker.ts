import { type CommonLatentWorkerOptions, createProviderLatentWorker, type LatentWorker } from '@latentci/core';
import { createKubernetesProvider, type KubernetesInstance } from './kubernetes-provider.js';
import type { KubernetesSettings } from './kubernetes-settings.js';

/** Options of {@link kubernetesLatentWorker}: the Kubernetes settings plus the latent worker's common options. */
export type KubernetesLatentWorkerOptions = KubernetesSettings & CommonLatentWorkerOptions<KubernetesInstance>;

/**
 * Buildbot's `KubeLatentWorker`: a `LatentWorker` whose instances are Pods. `buildWaitTimeout`
 * defaults to 0 (stop as soon as idle), as in Buildbot; `logger` is shared by the worker and the provider.
 */
export function kubernetesLatentWorker(options: KubernetesLatentWorkerOptions): LatentWorker<KubernetesInstance> {
  return createProviderLatentWorker<KubernetesSettings, KubernetesInstance>(options, createKubernetesProvider);
}
