import { isDeepStrictEqual } from 'node:util';

/**
 * Deep structural equality of rendered start settings (Buildbot compares the rendered tuples):
 * Node's `isDeepStrictEqual`, so Maps, Sets, Dates, Buffers and typed arrays compare by content,
 * object keys in any order, prototypes must match, `NaN` equals `NaN`.
 */
export function structurallyEqual(left: unknown, right: unknown): boolean {
  return isDeepStrictEqual(left, right);
}
