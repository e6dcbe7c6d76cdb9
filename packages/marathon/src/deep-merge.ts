/**
 * Buildbot's `dictionary_merge`, used for `marathonExtraConfig` (reference §4.3): for each key of
 * `extra`, when both sides hold plain objects they merge recursively; otherwise the extra value
 * replaces the generated one. Arrays are replaced, not concatenated; `null` is kept as an explicit
 * value (Marathon reads it as "absent"). Neither input is modified.
 */
export function deepMerge(
  base: Readonly<Record<string, unknown>>,
  extra: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = result[key];
    result[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : cloneValue(value);
  }
  return result;
}

/** True for `{}` literals and `Object.create(null)` objects: not arrays, not class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function cloneValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneValue);
  if (isPlainObject(value)) return deepMerge({}, value);
  return value;
}
