import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import type { StatusCause } from './status.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QUALIFIED_NAME_MESSAGE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/** What the simulator stores: Pods, Secrets and Namespaces of core/v1. */
export type ObjectKind = 'Pod' | 'Secret' | 'Namespace';

const MODELS = { Pod, Secret, Namespace } as const;

/**
 * Validates an object the way the API server does on create, in two layers: the structure against
 * Kubernetes' OpenAPI schema (the validators `kubernetes-models` generates from it: types,
 * required fields, enums), then the server's field rules that the schema cannot express (names,
 * labels, env var names, Secret keys, restart policy). Returns the causes of a 422, empty when valid.
 */
export function validateObject(kind: ObjectKind, body: unknown): StatusCause[] {
  const causes: StatusCause[] = [];
  try {
    new MODELS[kind](body as never).validate();
  } catch (error) {
    for (const entry of (error as { errors?: SchemaError[] }).errors ?? []) {
      if (entry.keyword === 'oneOf' || entry.keyword === 'anyOf') continue;
      causes.push(schemaCause(entry));
    }
    if (causes.length === 0) causes.push({ reason: 'FieldValueInvalid', message: String((error as Error).message) });
  }
  const schemaValid = causes.length === 0;
  const object = body as KubernetesObjectBody;
  const name = object.metadata?.name;
  if (name === undefined || name === '') {
    if (object.metadata?.generateName === undefined) {
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value: name or generateName is required',
        field: 'metadata.name',
      });
    }
  } else if (typeof name === 'string' && (kind === 'Namespace' ? !isLabel(name) : !isSubdomain(name))) {
    causes.push(invalidValue('metadata.name', name, kind === 'Namespace' ? LABEL_MESSAGE : SUBDOMAIN_MESSAGE));
  }
  if (!schemaValid) return dedupe(causes);
  causes.push(...labelCauses(object.metadata?.labels));
  if (kind === 'Pod') causes.push(...podCauses(object as PodBody));
  if (kind === 'Secret') {
    for (const key of Object.keys({ ...(object as SecretBody).data, ...(object as SecretBody).stringData })) {
      if (!SECRET_KEY.test(key) || key.length > 253) {
        causes.push(
          invalidValue(
            `data[${key}]`,
            key,
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
          ),
        );
      }
    }
    for (const [key, value] of Object.entries((object as SecretBody).data ?? {})) {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value))
        causes.push(invalidValue(`data[${key}]`, '<value omitted>', 'illegal base64 data'));
    }
  }
  return causes;
}

interface SchemaError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params?: { missingProperty?: string; allowedValues?: unknown[] };
}

interface KubernetesObjectBody {
  readonly metadata?: { name?: string; generateName?: string; labels?: Record<string, string> };
}
interface ContainerBody {
  readonly name?: string;
  readonly image?: string;
  readonly env?: readonly { name: string; value?: string; valueFrom?: unknown }[];
}
interface PodBody extends KubernetesObjectBody {
  readonly spec?: {
    readonly containers?: readonly ContainerBody[];
    readonly initContainers?: readonly ContainerBody[];
  };
}
interface SecretBody extends KubernetesObjectBody {
  readonly data?: Record<string, string>;
  readonly stringData?: Record<string, string>;
}

function podCauses(pod: PodBody): StatusCause[] {
  const causes: StatusCause[] = [];
  const containers = pod.spec?.containers ?? [];
  if (containers.length === 0)
    causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' });
  const seen = new Set<string>();
  const check = (list: readonly ContainerBody[], path: string) =>
    list.forEach((container, index) => {
      const at = `${path}[${index}]`;
      if (!container.name)
        causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `${at}.name` });
      else if (!isLabel(container.name)) causes.push(invalidValue(`${at}.name`, container.name, LABEL_MESSAGE));
      else if (seen.has(container.name)) {
        causes.push({
          reason: 'FieldValueDuplicate',
          message: `Duplicate value: "${container.name}"`,
          field: `${at}.name`,
        });
      }
      if (container.name) seen.add(container.name);
      if (!container.image?.trim())
        causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `${at}.image` });
      (container.env ?? []).forEach((variable, variableIndex) => {
        if (!ENV_VAR_NAME.test(variable.name)) {
          causes.push(
            invalidValue(
              `${at}.env[${variableIndex}].name`,
              variable.name,
              "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
            ),
          );
        }
        if (variable.value !== undefined && variable.valueFrom !== undefined) {
          causes.push({
            reason: 'FieldValueInvalid',
            message: 'Invalid value: "": may not be specified when `value` is not empty',
            field: `${at}.env[${variableIndex}].valueFrom`,
          });
        }
      });
    });
  check(containers, 'spec.containers');
  check(pod.spec?.initContainers ?? [], 'spec.initContainers');
  return causes;
}

function labelCauses(labels: Record<string, string> | undefined): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    const slash = key.lastIndexOf('/');
    const prefix = slash === -1 ? undefined : key.slice(0, slash);
    const name = slash === -1 ? key : key.slice(slash + 1);
    if (prefix !== undefined && (!isSubdomain(prefix) || prefix.length > 253)) {
      causes.push(invalidValue('metadata.labels', key, `prefix part ${SUBDOMAIN_MESSAGE}`));
    }
    if (!QUALIFIED_NAME.test(name) || name.length > 63)
      causes.push(invalidValue('metadata.labels', key, QUALIFIED_NAME_MESSAGE));
    if (value.length > 63) causes.push(invalidValue('metadata.labels', value, 'must be no more than 63 characters'));
    else if (!LABEL_VALUE.test(value)) causes.push(invalidValue('metadata.labels', value, LABEL_VALUE_MESSAGE));
  }
  return causes;
}

function isSubdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

function isLabel(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

function invalidValue(field: string, value: string, message: string): StatusCause {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${message}`, field };
}

/** `/spec/containers/0/image` → `spec.containers[0].image`, the server's field path notation. */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment),
      '',
    );
}

function schemaCause(entry: SchemaError): StatusCause {
  if (entry.keyword === 'required') {
    const field = [fieldPath(entry.instancePath), entry.params?.missingProperty].filter(Boolean).join('.');
    return { reason: 'FieldValueRequired', message: 'Required value', field };
  }
  if (entry.keyword === 'enum') {
    const allowed = (entry.params?.allowedValues ?? []).map((value) => JSON.stringify(value)).join(', ');
    return {
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: supported values: ${allowed}`,
      field: fieldPath(entry.instancePath),
    };
  }
  return {
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${entry.message ?? 'is invalid'}`,
    field: fieldPath(entry.instancePath),
  };
}

function dedupe(causes: StatusCause[]): StatusCause[] {
  const seen = new Set<string>();
  return causes.filter((cause) => {
    const key = `${cause.field}\u0000${cause.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
