import { createHash } from 'node:crypto';
import { OWNER_LABELS, type OwnerFilter } from '@latentci/core';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * A label value for an owner identity. Kubernetes label values are at most 63 characters of
 * `[A-Za-z0-9._-]`; a master id such as `https://ci.example/` is not one, so it becomes
 * `sha1-<first 40 hex digits of its SHA-1>` and the exact value goes in an annotation.
 */
export function ownerLabelValue(value: string): string {
  return value.length <= 63 && LABEL_VALUE.test(value)
    ? value
    : `sha1-${createHash('sha1').update(value).digest('hex')}`.slice(0, 45);
}

/** The owner labels of `request.labels`, made valid label values. */
export function kubernetesOwnerLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([key, value]) => [key, ownerLabelValue(value)]));
}

/** The label selector of an owner's Pods. */
export function ownerSelector(owner: OwnerFilter): string {
  return [
    `${OWNER_LABELS.managed}=true`,
    `${OWNER_LABELS.master}=${ownerLabelValue(owner.masterId)}`,
    ...(owner.workerName === undefined ? [] : [`${OWNER_LABELS.worker}=${ownerLabelValue(owner.workerName)}`]),
  ].join(',');
}
