import { ConfigurationError } from '../errors.js';
import type { Properties } from './properties.js';
import { asConfigurationError, asRenderError } from './python-errors.js';
import { applyFormat, type CompiledFormat, compileFormat } from './python-format.js';
import { isPlainObject, PythonException, pythonRepr, pythonTruthy, stringRepr } from './python-values.js';
import type { Renderable } from './render.js';

/** A `WithProperties` keyword substitution: computes a temporary value from the properties. */
export type LambdaSubstitution = (properties: Properties) => unknown;

// Python's re.match: anchored at the start only, `.` stops at a newline, `.*` is greedy.
const COLON_MINUS = /^([^\n]*):-([^\n]*)/;
const COLON_TILDE = /^([^\n]*):~([^\n]*)/;
const COLON_PLUS = /^([^\n]*):\+([^\n]*)/;

/**
 * Buildbot's deprecated `WithProperties` (use {@link Interpolate}).
 *
 * - Positional: `new WithProperties('build-%s.tar.gz', 'revision')` — the arguments are property
 *   names; a missing one is a `KeyError`.
 * - Keyword: `%(name)s`, `%(name:-default)s`, `%(name:~default)s`, `%(name:+replacement)s`
 *   (the last `:-`/`:~`/`:+` splits; no nesting), plus lambda substitutions
 *   `new WithProperties('%(foo)s', { foo: (properties) => … })` whose results override
 *   same-named properties for one rendering.
 *
 * Values are not rendered; `None` prints as ''.
 */
export class WithProperties implements Renderable<string> {
  readonly format: string;
  readonly names: readonly string[];
  readonly lambdaSubstitutions: Readonly<Record<string, LambdaSubstitution>>;
  readonly compiled: CompiledFormat;

  constructor(format: string, ...args: readonly string[] | readonly [Readonly<Record<string, LambdaSubstitution>>]) {
    let names: unknown[] = [...args];
    let lambdas: Readonly<Record<string, LambdaSubstitution>> = {};
    const last = names[names.length - 1];
    if (names.length > 0 && isPlainObject(last)) {
      if (names.length > 1) {
        throw new ConfigurationError('WithProperties takes either positional or keyword substitutions, not both.');
      }
      for (const [key, value] of Object.entries(last)) {
        if (typeof value !== 'function') {
          throw new ConfigurationError(`Value for lambda substitution "${key}" must be callable.`);
        }
      }
      names = [];
      lambdas = last as Readonly<Record<string, LambdaSubstitution>>;
    }
    for (const name of names) {
      if (typeof name !== 'string')
        throw new ConfigurationError(`WithProperties property names must be strings, got ${pythonRepr(name)}`);
    }
    this.format = format;
    this.names = names as string[];
    this.lambdaSubstitutions = lambdas;
    this.compiled = compileFormat(format);
    // Zero suits every conversion: only what no property value can fix raises here.
    const context = `invalid WithProperties format ${stringRepr(format)}`;
    if (this.names.length > 0) {
      asConfigurationError(context, () =>
        applyFormat(this.compiled, { kind: 'tuple', values: this.names.map(() => 0) }),
      );
    } else {
      asConfigurationError(context, () => applyFormat(this.compiled, { kind: 'mapping', self: {}, get: () => 0 }));
      if (this.compiled.keylessConversions > 0) {
        throw new ConfigurationError(
          `${context}: a positional substitution such as %s needs property names (new WithProperties(format, ...names))`,
        );
      }
    }
  }

  async getRenderingFor(properties: Properties): Promise<string> {
    const temporary = new Map<string, unknown>();
    for (const [key, fn] of Object.entries(this.lambdaSubstitutions)) temporary.set(key, await fn(properties));
    const lookup = (key: string): unknown => propertyMapLookup(properties, temporary, key);
    return asRenderError(() =>
      this.names.length > 0
        ? applyFormat(this.compiled, { kind: 'tuple', values: this.names.map(lookup) })
        : applyFormat(this.compiled, { kind: 'mapping', self: {}, get: lookup }),
    );
  }
}

/** Buildbot's `_PropertyMap.__getitem__`. */
function propertyMapLookup(properties: Properties, temporary: ReadonlyMap<string, unknown>, key: string): unknown {
  const value = substitute(properties, temporary, key);
  return value === null || value === undefined ? '' : value;
}

function substitute(properties: Properties, temporary: ReadonlyMap<string, unknown>, key: string): unknown {
  const minus = COLON_MINUS.exec(key);
  if (minus) {
    // %(name:-replacement)s: the value when set, else the replacement.
    const [, name = '', replacement] = minus;
    if (temporary.has(name)) return temporary.get(name);
    return properties.hasProperty(name) ? properties.getProperty(name) : replacement;
  }
  const tilde = COLON_TILDE.exec(key);
  if (tilde) {
    // %(name:~replacement)s: the value when set and true, else the replacement.
    const [, name = '', replacement] = tilde;
    if (temporary.has(name) && pythonTruthy(temporary.get(name))) return temporary.get(name);
    if (properties.hasProperty(name) && pythonTruthy(properties.getProperty(name))) return properties.getProperty(name);
    return replacement;
  }
  const plus = COLON_PLUS.exec(key);
  if (plus) {
    // %(name:+replacement)s: the replacement when set, else ''.
    const [, name = '', replacement] = plus;
    return properties.hasProperty(name) || temporary.has(name) ? replacement : '';
  }
  if (temporary.has(key)) return temporary.get(key);
  if (properties.hasProperty(key)) return properties.getProperty(key);
  throw new PythonException('KeyError', pythonRepr(key));
}
