/** One requirement of a label selector: `key=value`, `key!=value`, `key in (…)`, `key notin (…)`, `key`, `!key`. */
interface Requirement {
  readonly key: string;
  readonly operator: 'in' | 'notin' | 'exists' | 'doesnotexist';
  readonly values: readonly string[];
}

/** Thrown for a selector Kubernetes would refuse (the server answers 400 BadRequest). */
export class SelectorSyntaxError extends Error {}

/**
 * Parses a label selector as the API server does (`labelSelector=` query parameter): equality
 * (`=`, `==`, `!=`) and set-based (`in`, `notin`, existence) requirements, comma-separated, all
 * of which must hold. Returns the matcher.
 */
export function parseLabelSelector(
  selector: string | null | undefined,
): (labels: Readonly<Record<string, string>> | undefined) => boolean {
  const requirements = splitTopLevel(selector ?? '').map(parseRequirement);
  return (labels) =>
    requirements.every((requirement) => {
      const value = labels?.[requirement.key];
      if (requirement.operator === 'exists') return value !== undefined;
      if (requirement.operator === 'doesnotexist') return value === undefined;
      if (requirement.operator === 'in') return value !== undefined && requirement.values.includes(value);
      return value === undefined || !requirement.values.includes(value);
    });
}

/**
 * Parses a field selector. Pods support `metadata.name`, `metadata.namespace`, `spec.nodeName`
 * and `status.phase` with `=`, `==`, `!=`; anything else is refused like the server does.
 */
export function parseFieldSelector(
  selector: string | null | undefined,
  supported: readonly string[],
): (fields: Readonly<Record<string, string>>) => boolean {
  const requirements = splitTopLevel(selector ?? '').map((part) => {
    const match = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!match) throw new SelectorSyntaxError(`invalid field selector: ${JSON.stringify(part)}`);
    const [, field = '', operator, value = ''] = match;
    if (!supported.includes(field.trim())) {
      throw new SelectorSyntaxError(
        `"${field.trim()}" is not a known field selector: only "${supported.join('", "')}"`,
      );
    }
    return { field: field.trim(), negated: operator === '!=', value: value.trim() };
  });
  return (fields) => requirements.every(({ field, negated, value }) => (fields[field] === value) !== negated);
}

function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const character of selector) {
    if (character === '(') depth += 1;
    if (character === ')') depth -= 1;
    if (character === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += character;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

function parseRequirement(part: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
  if (set) {
    const values = (set[3] ?? '').split(',').map((value) => value.trim());
    return { key: set[1] ?? '', operator: set[2] as 'in' | 'notin', values };
  }
  const equality = /^([^!=\s]+)\s*(==|=|!=)\s*([^!=\s]*)$/.exec(part);
  if (equality) {
    const [, key = '', operator, value = ''] = equality;
    return { key, operator: operator === '!=' ? 'notin' : 'in', values: [value] };
  }
  if (/^![^!=\s]+$/.test(part)) return { key: part.slice(1), operator: 'doesnotexist', values: [] };
  if (/^[^!=\s(),]+$/.test(part)) return { key: part, operator: 'exists', values: [] };
  throw new SelectorSyntaxError(`unable to parse requirement: ${JSON.stringify(part)}`);
}
