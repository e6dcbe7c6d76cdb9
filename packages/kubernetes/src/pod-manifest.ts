import { OWNER_LABELS } from '@latentci/core';
import { deepMerge } from './deep-merge.js';
import { kubernetesOwnerLabels } from './owner-labels.js';
import type { RenderedKubernetesSettings } from './render-settings.js';

/** The key of the worker password in the worker's Secret. */
export const PASSWORD_SECRET_KEY = 'WORKERPASS';

/** What a Pod is built from. */
export interface PodManifestInput {
  readonly instanceName: string;
  readonly environment: Readonly<Record<string, string>>;
  /** The owner labels of the start request (`io.latentci.*`). */
  readonly labels: Readonly<Record<string, string>>;
  readonly settings: RenderedKubernetesSettings;
}

/**
 * Buildbot's `KubeLatentWorker.getPodSpec`: one Pod named like the worker instance, its first
 * container (same name) runs the image with the environment contract, `restartPolicy: Never`.
 * Unlike Buildbot, `WORKERPASS` is not a plain value: it comes from the Secret of the same name
 * (`secretKeyRef`), so the password is not readable by whoever may read Pods. Then the options:
 * resources, service containers, node selector, tolerations, affinity, service account, image
 * pull secrets, and `podSpec` merged last.
 */
export function podManifest(input: PodManifestInput): Record<string, unknown> {
  const { settings } = input;
  const env = Object.entries(input.environment).map(([name, value]) =>
    name === 'WORKERPASS'
      ? { name, valueFrom: { secretKeyRef: { name: input.instanceName, key: PASSWORD_SECRET_KEY } } }
      : { name, value },
  );
  const worker: Record<string, unknown> = {
    name: input.instanceName,
    image: settings.image,
    env,
    ...(settings.resources ? { resources: settings.resources } : {}),
  };
  const spec: Record<string, unknown> = {
    containers: [worker, ...(settings.serviceContainers ?? [])],
    restartPolicy: 'Never',
    ...(settings.nodeSelector ? { nodeSelector: settings.nodeSelector } : {}),
    ...(settings.tolerations ? { tolerations: settings.tolerations } : {}),
    ...(settings.affinity ? { affinity: settings.affinity } : {}),
    ...(settings.serviceAccountName ? { serviceAccountName: settings.serviceAccountName } : {}),
    ...(settings.imagePullSecrets
      ? {
          imagePullSecrets: settings.imagePullSecrets.map((entry) =>
            typeof entry === 'string' ? { name: entry } : entry,
          ),
        }
      : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: input.instanceName,
      labels: { ...settings.labels, ...kubernetesOwnerLabels(input.labels) },
      annotations: { ...settings.annotations, ...ownerAnnotations(input.labels) },
    },
    spec: settings.podSpec ? deepMerge(spec, settings.podSpec) : spec,
  };
}

/** The Secret holding the worker password, owned by the Pod so the garbage collector deletes it with the Pod. */
export function passwordSecretManifest(input: {
  readonly instanceName: string;
  readonly password: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly podUid: string;
}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: input.instanceName,
      labels: kubernetesOwnerLabels(input.labels),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: input.instanceName, uid: input.podUid }],
    },
    data: { [PASSWORD_SECRET_KEY]: Buffer.from(input.password, 'utf8').toString('base64') },
  };
}

/** The exact owner identity, whatever the label values had to become. */
function ownerAnnotations(labels: Readonly<Record<string, string>>): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const key of [OWNER_LABELS.master, OWNER_LABELS.worker]) {
    const value = labels[key];
    if (value !== undefined) annotations[key] = value;
  }
  return annotations;
}
