import { type OrphanInstance, OWNER_LABELS, type OwnerFilter } from '@latentci/core';

/**
 * Docker-style label filters (`key` or `key=value`) that select what `owner` started: the
 * `managed` label, the master id and, when given, the worker name.
 */
export function ownerLabelFilters(owner: OwnerFilter): string[] {
  return [
    OWNER_LABELS.managed,
    `${OWNER_LABELS.master}=${owner.masterId}`,
    ...(owner.workerName === undefined ? [] : [`${OWNER_LABELS.worker}=${owner.workerName}`]),
  ];
}

/**
 * Whether labels read back from a backend belong to `owner`. Check it even after a server-side
 * filter: some backends (Hyper's name filter, Marathon's label selector) match loosely.
 */
export function isOwnedBy(labels: Readonly<Record<string, string>> | null | undefined, owner: OwnerFilter): boolean {
  if (labels?.[OWNER_LABELS.managed] !== 'true' || labels[OWNER_LABELS.master] !== owner.masterId) return false;
  return owner.workerName === undefined || labels[OWNER_LABELS.worker] === owner.workerName;
}

/** An `OrphanInstance` from what a backend lists: its id, name, labels and state. */
export function orphanFromLabels(
  owner: OwnerFilter,
  found: {
    readonly id: string;
    readonly name?: string | undefined;
    readonly labels?: Readonly<Record<string, string>> | null | undefined;
    readonly state?: string | undefined;
  },
): OrphanInstance {
  return {
    id: found.id,
    ...(found.name === undefined ? {} : { name: found.name }),
    masterId: found.labels?.[OWNER_LABELS.master] ?? owner.masterId,
    workerName: found.labels?.[OWNER_LABELS.worker] ?? '',
    ...(found.state === undefined ? {} : { state: found.state }),
  };
}
