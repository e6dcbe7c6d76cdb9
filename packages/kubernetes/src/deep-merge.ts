/**
 * Merges the `podSpec` patch over the generated Pod spec, as Buildbot's `dictionary_merge` does for
 * Marathon's extra config, plus Kubernetes' strategic-merge rule for named lists: when both sides
 * are arrays whose items all have a string `name` (containers, env, volumes, volumeMounts…), items
 * merge by name and new names are appended. Other arrays are replaced; `null` is kept. Neither
 * input is modified.
 */
export function deepMerge(
  base: Readonly<Record<string, unknown>>,
  patch: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) result[key] = mergeValue(result[key], value);
  return result;
}

function mergeValue(current: unknown, value: unknown): unknown {
  if (isPlainObject(current) && isPlainObject(value)) return deepMerge(current, value);
  if (isNamedList(current) && isNamedList(value)) {
    const merged: Record<string, unknown>[] = current.map((item) => ({ ...item }));
    for (const item of value) {
      const index = merged.findIndex((existing) => existing.name === item.name);
      if (index === -1) merged.push(cloneValue(item) as Record<string, unknown>);
      else merged[index] = deepMerge(merged[index] as Record<string, unknown>, item);
    }
    return merged;
  }
  return cloneValue(value);
}

/** True for `{}` literals and `Object.create(null)` objects: not arrays, not class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isNamedList(value: unknown): value is (Record<string, unknown> & { name: string })[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((item) => isPlainObject(item) && typeof item.name === 'string')
  );
}

function cloneValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneValue);
  if (isPlainObject(value)) return deepMerge({}, value);
  return value;
}
