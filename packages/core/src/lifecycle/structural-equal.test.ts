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

  it('compares Maps, Sets, Dates and byte arrays by content (regression: they all compared equal)', () => {
    expect(structurallyEqual(new Map([['a', 1]]), new Map([['a', 2]]))).toBe(false);
    expect(structurallyEqual(new Map([['a', 1]]), new Map([['a', 1]]))).toBe(true);
    expect(structurallyEqual({ labels: new Set(['x']) }, { labels: new Set(['y']) })).toBe(false);
    expect(structurallyEqual(new Date(0), new Date(1))).toBe(false);
    expect(structurallyEqual(Buffer.from('a'), Buffer.from('b'))).toBe(false);
    expect(structurallyEqual(new Uint8Array([1]), new Uint8Array([1]))).toBe(true);
  });
});
