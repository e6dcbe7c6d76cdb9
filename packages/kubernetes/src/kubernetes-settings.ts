import { ConfigurationError, type Logger } from '@latentci/core';
import type { KubeConfigOption } from './kube-config.js';
import type { KubernetesRenderable } from './render-settings.js';

/**
 * Settings of the Kubernetes provider. `image`, `namespace`, `kubeConfig` and `masterFQDN` (a
 * common latent-worker option) follow Buildbot's `KubeLatentWorker`; the rest are what Buildbot
 * only offers as subclass hooks (`getBuildContainerResources`, `getServicesContainers`,
 * `get_node_selector`, `get_affinity`…), here as renderable options.
 */
export interface KubernetesSettings {
  /** Container image of the worker. Renderable with the build's properties. */
  readonly image: KubernetesRenderable<string>;
  /** Namespace of the Pods. Default: the kubeconfig context's namespace, the in-cluster namespace file, else `default`. */
  readonly namespace?: string;
  /** Where the cluster is and how to authenticate; default: `KUBECONFIG`, `~/.kube/config`, or in-cluster. */
  readonly kubeConfig?: KubeConfigOption;
  /** The worker container's `resources` (`{ requests, limits }`). Renderable. */
  readonly resources?: KubernetesRenderable<Record<string, unknown>>;
  /** More containers in the worker's Pod (sidecars: a database, a Docker daemon…). Renderable. */
  readonly serviceContainers?: KubernetesRenderable<readonly Record<string, unknown>[]>;
  /** `spec.nodeSelector`. Renderable. */
  readonly nodeSelector?: KubernetesRenderable<Record<string, KubernetesRenderable<string>>>;
  /** `spec.tolerations`. Renderable. */
  readonly tolerations?: KubernetesRenderable<readonly Record<string, unknown>[]>;
  /** `spec.affinity`. Renderable. */
  readonly affinity?: KubernetesRenderable<Record<string, unknown>>;
  /** `spec.serviceAccountName`. Renderable. */
  readonly serviceAccountName?: KubernetesRenderable<string>;
  /** `spec.imagePullSecrets`: names of Secrets, or `{ name }` objects. Renderable. */
  readonly imagePullSecrets?: KubernetesRenderable<readonly (string | { name: string })[]>;
  /** Merged over the generated Pod spec (objects merge, named lists merge by name, other values replace). Renderable. */
  readonly podSpec?: KubernetesRenderable<Record<string, unknown>>;
  /** More labels on the Pod and its Secret (the owner labels cannot be overridden). Renderable. */
  readonly labels?: KubernetesRenderable<Record<string, KubernetesRenderable<string>>>;
  /** Annotations on the Pod. Renderable. */
  readonly annotations?: KubernetesRenderable<Record<string, KubernetesRenderable<string>>>;
  /** Report the worker container's output as startup logs (`pods/log?follow`) until it stops. Default true. */
  readonly followStartupLogs?: boolean;
  /** Longest wait, in ms, for a deleted Pod to be gone (watch). Default 120000. */
  readonly deleteTimeout?: number;
  /** Attempts of one API call answered 429 or 5xx (honouring `Retry-After`). Default 5. */
  readonly requestAttempts?: number;
  /** First backoff between attempts, in ms; doubles up to 10 s. Default 500. */
  readonly retryDelay?: number;
  /** Where warnings (failed deletes) go. Default: silent. */
  readonly logger?: Logger;
}

export interface ResolvedKubernetesSettings extends KubernetesSettings {
  readonly followStartupLogs: boolean;
  readonly deleteTimeout: number;
  readonly requestAttempts: number;
  readonly retryDelay: number;
}

/** Validates the settings; throws `ConfigurationError` naming the setting and what is accepted. */
export function resolveKubernetesSettings(settings: KubernetesSettings): ResolvedKubernetesSettings {
  if (typeof settings !== 'object' || settings === null)
    throw new ConfigurationError('Kubernetes settings must be an object');
  if (settings.image === undefined || settings.image === null || settings.image === '') {
    throw new ConfigurationError('image is required: the container image of the worker (a string or a renderable)');
  }
  if (settings.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(settings.namespace)) {
    throw new ConfigurationError(
      `namespace must be a Kubernetes namespace name (lowercase letters, digits and '-'), got ${JSON.stringify(settings.namespace)}`,
    );
  }
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value <= 0)
      throw new ConfigurationError(`${name} must be a positive number, got ${value}`);
    return value;
  };
  const requestAttempts = positive('requestAttempts', settings.requestAttempts, 5);
  if (!Number.isInteger(requestAttempts))
    throw new ConfigurationError(`requestAttempts must be an integer, got ${requestAttempts}`);
  return {
    ...settings,
    followStartupLogs: settings.followStartupLogs ?? true,
    deleteTimeout: positive('deleteTimeout', settings.deleteTimeout, 120_000),
    requestAttempts,
    retryDelay: positive('retryDelay', settings.retryDelay, 500),
  };
}
