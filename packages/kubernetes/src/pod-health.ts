import type { V1Pod } from '@kubernetes/client-node';

const IMAGE_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

/** What a Pod's status says about the worker in it. */
export type PodVerdict =
  | { readonly kind: 'gone' }
  | { readonly kind: 'deleting' }
  | { readonly kind: 'pending' }
  | { readonly kind: 'running' }
  | { readonly kind: 'unschedulable'; readonly message: string }
  | {
      readonly kind: 'image';
      readonly image: string;
      readonly reason: string;
      readonly message: string;
      readonly container: string;
    }
  | { readonly kind: 'crashed'; readonly container: string; readonly summary: string };

/**
 * Reads a Pod's status: gone, being deleted, not schedulable (the scheduler's message), an image
 * that cannot be pulled (any container), a worker that ended (phase Failed/Succeeded or its
 * container terminated, with exit code and reason), running, or still pending.
 */
export function podVerdict(pod: V1Pod | undefined): PodVerdict {
  if (!pod) return { kind: 'gone' };
  if (pod.metadata?.deletionTimestamp) return { kind: 'deleting' };
  const status = pod.status;
  const unschedulable = status?.conditions?.find(
    (condition) =>
      condition.type === 'PodScheduled' && condition.status === 'False' && condition.reason === 'Unschedulable',
  );
  if (unschedulable) return { kind: 'unschedulable', message: unschedulable.message ?? 'Unschedulable' };
  const workerName = pod.spec?.containers[0]?.name;
  for (const container of status?.containerStatuses ?? []) {
    const waiting = container.state?.waiting;
    if (waiting?.reason && IMAGE_FAILURES.has(waiting.reason)) {
      const image = pod.spec?.containers.find((spec) => spec.name === container.name)?.image ?? container.image;
      return {
        kind: 'image',
        image,
        reason: waiting.reason,
        message: waiting.message ?? '',
        container: container.name,
      };
    }
  }
  const worker = status?.containerStatuses?.find((container) => container.name === workerName);
  const terminated = worker?.state?.terminated;
  if (terminated || status?.phase === 'Failed' || status?.phase === 'Succeeded') {
    const parts = [
      `phase ${status?.phase ?? 'unknown'}`,
      ...(terminated
        ? [
            `container ${worker?.name} exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}`,
          ]
        : []),
      ...(terminated?.message ? [terminated.message] : []),
      ...(status?.message ? [status.message] : []),
    ];
    return { kind: 'crashed', container: workerName ?? '', summary: parts.join(', ') };
  }
  if (worker?.state?.running) return { kind: 'running' };
  return { kind: 'pending' };
}
