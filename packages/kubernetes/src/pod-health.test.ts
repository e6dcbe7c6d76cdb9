import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podVerdict } from './pod-health.js';

const pod = (status: NonNullable<V1Pod['status']>, extra: Partial<V1Pod> = {}): V1Pod => ({
  metadata: { name: 'p' },
  spec: {
    containers: [
      { name: 'worker', image: 'w:1' },
      { name: 'db', image: 'postgres:16' },
    ],
  },
  status,
  ...extra,
});

describe('podVerdict', () => {
  it('gone, deleting, pending, running', () => {
    expect(podVerdict(undefined)).toEqual({ kind: 'gone' });
    expect(podVerdict(pod({ phase: 'Running' }, { metadata: { name: 'p', deletionTimestamp: new Date() } }))).toEqual({
      kind: 'deleting',
    });
    expect(
      podVerdict(
        pod({
          phase: 'Pending',
          containerStatuses: [
            {
              name: 'worker',
              image: 'w:1',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { waiting: { reason: 'ContainerCreating' } },
            },
          ],
        }),
      ),
    ).toEqual({ kind: 'pending' });
    expect(
      podVerdict(
        pod({
          phase: 'Running',
          containerStatuses: [
            { name: 'worker', image: 'w:1', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
          ],
        }),
      ),
    ).toEqual({ kind: 'running' });
  });

  it("Unschedulable, with the scheduler's message", () => {
    expect(
      podVerdict(
        pod({
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/3 nodes are available: 3 Insufficient cpu.',
            },
          ],
        }),
      ),
    ).toEqual({ kind: 'unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' });
  });

  it.each(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName'])('%s of any container names its image', (reason) => {
    const status = {
      name: 'db',
      image: 'postgres:16',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { waiting: { reason, message: 'denied' } },
    };
    expect(podVerdict(pod({ phase: 'Pending', containerStatuses: [status] }))).toEqual({
      kind: 'image',
      image: 'postgres:16',
      reason,
      message: 'denied',
      container: 'db',
    });
  });

  it('a terminated worker container or a Failed/Succeeded phase is a crash, with exit code and reason', () => {
    const terminated = {
      name: 'worker',
      image: 'w:1',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
    };
    expect(podVerdict(pod({ phase: 'Failed', containerStatuses: [terminated] }))).toEqual({
      kind: 'crashed',
      container: 'worker',
      summary: 'phase Failed, container worker exited with code 137 (OOMKilled)',
    });
    expect(podVerdict(pod({ phase: 'Succeeded' }))).toMatchObject({ kind: 'crashed', summary: 'phase Succeeded' });
  });
});
