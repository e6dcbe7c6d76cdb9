import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { isPlainObject } from '../deep-merge.js';

const schemaPath = new URL('../../schemas/AppDefinition.json', import.meta.url);

/**
 * Validates app definitions against Marathon's own `AppDefinition.json` (schemas/, Apache-2.0).
 * Documented exception: `null` values are dropped first. Marathon reads them as "absent"
 * (`readNullable`), but the schema rejects them (e.g. Buildbot's `network: null`).
 */
export function createAppDefinitionValidator(): (body: unknown) => string[] {
  const validate = compileAppDefinitionSchema();
  return (body) => {
    if (validate(withoutNulls(body))) return [];
    return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`);
  };
}

/** Marathon's `AppDefinition.json` compiled with ajv as is (draft-04 `$schema` dropped, `date-time` checked). */
export function compileAppDefinitionSchema(): ValidateFunction {
  const { $schema: _draft, ...schema } = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  return ajv.compile(schema);
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== null)
      .map(([key, item]) => [key, withoutNulls(item)]),
  );
}
