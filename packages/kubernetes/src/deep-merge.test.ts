import { describe, expect, it } from 'vitest';
import { deepMerge } from './deep-merge.js';

describe('podSpec merge', () => {
  it('merges objects recursively; scalars and unnamed lists replace; null is kept', () => {
    const base = {
      restartPolicy: 'Never',
      nodeSelector: { a: '1' },
      tolerations: [{ key: 'x' }],
      dnsPolicy: 'ClusterFirst',
    };
    const patch = { nodeSelector: { b: '2' }, tolerations: [{ key: 'y' }], dnsPolicy: null, activeDeadlineSeconds: 60 };
    expect(deepMerge(base, patch)).toEqual({
      restartPolicy: 'Never',
      nodeSelector: { a: '1', b: '2' },
      tolerations: [{ key: 'y' }],
      dnsPolicy: null,
      activeDeadlineSeconds: 60,
    });
    expect(base.nodeSelector).toEqual({ a: '1' });
  });

  it('merges lists of named items by name (containers, env) and appends new names, like a strategic merge patch', () => {
    const base = {
      containers: [
        { name: 'worker', image: 'w:1', env: [{ name: 'A', value: '1' }] },
        { name: 'db', image: 'postgres' },
      ],
    };
    const patch = {
      containers: [
        {
          name: 'worker',
          securityContext: { privileged: true },
          env: [
            { name: 'A', value: '2' },
            { name: 'B', value: '3' },
          ],
        },
        { name: 'cache', image: 'redis' },
      ],
    };
    expect(deepMerge(base, patch)).toEqual({
      containers: [
        {
          name: 'worker',
          image: 'w:1',
          securityContext: { privileged: true },
          env: [
            { name: 'A', value: '2' },
            { name: 'B', value: '3' },
          ],
        },
        { name: 'db', image: 'postgres' },
        { name: 'cache', image: 'redis' },
      ],
    });
  });
});
