import { OWNER_LABELS } from '@latentci/core';
import { describe, expect, it } from 'vitest';
import { isOwnedBy, orphanFromLabels, ownerLabelFilters } from './owner-labels.js';

const labels = { [OWNER_LABELS.managed]: 'true', [OWNER_LABELS.master]: 'm1', [OWNER_LABELS.worker]: 'w1' };

describe('owner labels', () => {
  it('filter by the managed label, the master and, when given, the worker', () => {
    expect(ownerLabelFilters({ masterId: 'm1' })).toEqual([OWNER_LABELS.managed, `${OWNER_LABELS.master}=m1`]);
    expect(ownerLabelFilters({ masterId: 'm1', workerName: 'w1' })).toEqual([
      OWNER_LABELS.managed,
      `${OWNER_LABELS.master}=m1`,
      `${OWNER_LABELS.worker}=w1`,
    ]);
  });

  it('match labels read back exactly', () => {
    expect(isOwnedBy(labels, { masterId: 'm1' })).toBe(true);
    expect(isOwnedBy(labels, { masterId: 'm1', workerName: 'w1' })).toBe(true);
    expect(isOwnedBy(labels, { masterId: 'm1', workerName: 'w' })).toBe(false);
    expect(isOwnedBy(labels, { masterId: 'm' })).toBe(false);
    expect(isOwnedBy({ [OWNER_LABELS.master]: 'm1' }, { masterId: 'm1' })).toBe(false);
    expect(isOwnedBy(null, { masterId: 'm1' })).toBe(false);
  });

  it('describe an orphan from its labels', () => {
    expect(orphanFromLabels({ masterId: 'm1' }, { id: 'x', name: 'n', labels, state: 'exited' })).toEqual({
      id: 'x',
      name: 'n',
      masterId: 'm1',
      workerName: 'w1',
      state: 'exited',
    });
  });
});
