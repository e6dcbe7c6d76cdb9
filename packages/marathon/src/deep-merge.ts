/**
 * Buildbot's `dictionary_merge`, used for `marathonExtraConfig`: for each key of
 * `extra`, when both sides hold plain objects they merge recursively; otherwise the extra value
 * replaces the generated one. Arrays are replaced, not concatenated; `null` is kept as an explicit
 * value (Marathon reads it as "absent"). Neither input is modified. Keys are own data properties
 * only: a `__proto__` key (as `JSON.parse` makes it) is copied as a key, never as a prototype.
 */
export function deepMerge(
  base: Readonly<Record<string, unknown>>,
  extra: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = Object.hasOwn(result, key) ? result[key] : undefined;
    // `defineProperty`, not `result[key] =`: assigning `__proto__` would replace the prototype.
    Object.defineProperty(result, key, {
      value: isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : cloneValue(value),
      writable: true,
      enumerable: true,
      configurable: true,
    });
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
