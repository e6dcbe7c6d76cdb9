import { describe, expect, it } from 'vitest';
import { structurallyEqual } from './structural-equal.js';

describe('structurallyEqual', () => {
  it('compares rendered settings deeply, object keys in any order', () => {
    expect(
      structurallyEqual(
        { image: 'a', volumes: ['/x:/y'], host: { cpu: 1 } },
        { host: { cpu: 1 }, volumes: ['/x:/y'], image: 'a' },
      ),
    ).toBe(true);
    expect(structurallyEqual(['a', 1, null], ['a', 1, null])).toBe(true);
    expect(structurallyEqual(Number.NaN, Number.NaN)).toBe(true);
  });

  it('tells different settings apart', () => {
    expect(structurallyEqual({ image: 'a' }, { image: 'b' })).toBe(false);
    expect(structurallyEqual({ image: 'a' }, { image: 'a', extra: undefined })).toBe(false);
    expect(structurallyEqual(['a'], { 0: 'a' })).toBe(false);
    expect(structurallyEqual([1, 2], [2, 1])).toBe(false);
    expect(structurallyEqual(null, {})).toBe(false);
    expect(structurallyEqual('1', 1)).toBe(false);
  });
});
