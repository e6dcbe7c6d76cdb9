import { isPlainObject } from './settings.js';

/** Merges `patch` over `base`: plain objects key by key (recursively); arrays and scalars replace. */
export function deepMerge(base: Readonly<Record<string, unknown>>, patch: Readonly<Record<string, unknown>>) {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}
