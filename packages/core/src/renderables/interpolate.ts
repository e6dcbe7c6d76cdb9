import { ConfigurationError } from '../errors.js';
import { RenderableOperators } from './operators.js';
import type { Properties } from './properties.js';
import { toConfigurationError, toRenderError } from './python-errors.js';
import { applyFormat, type CompiledFormat, compileFormat } from './python-format.js';
import { isPlainObject, pythonRepr, pythonTruthy, pythonTypeName, stringRepr } from './python-values.js';
import {
  andThen,
  isRenderable,
  isThenable,
  type NowRenderable,
  RENDER_NOW,
  renderEach,
  renderNow,
  rendersNow,
} from './render.js';
import { Secret } from './secret.js';

/** Python's `^[\w._-]*$` (with `re.match`, `$` also matches before a final newline). */
const IDENTIFIER = /^[\p{L}\p{N}_.-]*\n?$/u;

type Selector = 'prop' | 'src' | 'kw' | 'worker' | 'secret';

/**
 * One `%(selector:name[:op])s` substitution (Buildbot's `_Lookup`): looks `name` up in the
 * selector's source, then picks the value, the default or an alternative by the operator.
 * Plain fields only, so that a structured copy keeps working (Buildbot trac #3505).
 */
class Lookup implements NowRenderable {
  readonly selector: Selector;
  readonly codebase: string;
  readonly name: string;
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** Rendered when the name is missing (or falsy, with `defaultWhenFalse`). */
  readonly defaultValue: unknown;
  readonly defaultWhenFalse: boolean;
  /** Rendered instead of the value when the name exists (`+`, `?`, `#?`); `undefined` for `-`, `~`. */
  readonly hasKey: Interpolate | undefined;

  constructor(
    selector: Selector,
    codebase: string,
    name: string,
    kwargs: Readonly<Record<string, unknown>>,
    defaultValue: unknown,
    defaultWhenFalse: boolean,
    hasKey: Interpolate | undefined,
  ) {
    this.selector = selector;
    this.codebase = codebase;
    this.name = name;
    this.kwargs = kwargs;
    this.defaultValue = defaultValue;
    this.defaultWhenFalse = defaultWhenFalse;
    this.hasKey = hasKey;
  }

  /** Whether the name exists in the selector's source, and its (unrendered) value. */
  locate(properties: Properties): { readonly found: boolean; readonly value?: unknown } {
    const name = this.name;
    switch (this.selector) {
      case 'prop':
        return properties.hasProperty(name) ? { found: true, value: properties.getProperty(name) } : { found: false };
      case 'kw':
        return ownValue(this.kwargs, name);
      case 'src': {
        const stamp = properties.getSourceStamp(this.codebase);
        return stamp ? ownValue(stamp, name) : { found: false };
      }
      case 'worker':
        return ownValue(properties.workerInfo, name);
      case 'secret':
        // Buildbot's secret index claims every name exists; an unknown one fails when rendered.
        return { found: true, value: new Secret(name) };
    }
  }

  async getRenderingFor(properties: Properties): Promise<unknown> {
    return this[RENDER_NOW](properties);
  }

  [RENDER_NOW](properties: Properties): unknown {
    const { found, value } = this.locate(properties);
    let result: unknown;
    if (!found) result = renderNow(this.defaultValue, properties);
    else if (this.defaultWhenFalse) {
      const rendered = renderNow(value, properties);
      result = isThenable(rendered)
        ? rendered.then((settled) => chooseWhenFound(this, settled, properties))
        : chooseWhenFound(this, rendered, properties);
    } else if (this.hasKey !== undefined) result = renderNow(this.hasKey, properties);
    else result = renderNow(value, properties);
    return isThenable(result) ? result.then(noneAsEmpty) : noneAsEmpty(result);
  }
}

/** `~`, `#?`: the default when the rendered value is false, else the value or its alternative. */
function chooseWhenFound(lookup: Lookup, rendered: unknown, properties: Properties): unknown {
  if (!pythonTruthy(rendered)) return renderNow(lookup.defaultValue, properties);
  return lookup.hasKey !== undefined ? renderNow(lookup.hasKey, properties) : rendered;
}
rendersNow(Lookup);

function renderLookup(lookup: Lookup, properties: Properties): unknown {
  return lookup[RENDER_NOW](properties);
}

function asSingleton(value: unknown): unknown[] {
  return [value];
}

/** Interpolate elides None: it prints as ''. */
function noneAsEmpty(value: unknown): unknown {
  return value === null || value === undefined ? '' : value;
}

function ownValue(source: object, name: string): { readonly found: boolean; readonly value?: unknown } {
  return Object.hasOwn(source, name)
    ? { found: true, value: (source as Record<string, unknown>)[name] }
    : { found: false };
}

function firstCharacter(text: string): string {
  const code = text.codePointAt(0);
  return code === undefined ? '' : String.fromCodePoint(code);
}

/** Splits at the first `:`; the rest is `undefined` when there is none (Python's `split(':', 1)`). */
function splitOnce(text: string): [string, string | undefined] {
  const colon = text.indexOf(':');
  return colon < 0 ? [text, undefined] : [text.slice(0, colon), text.slice(colon + 1)];
}

/**
 * Buildbot's `_splitBalancedParen`: splits at the first `delimiter` outside parentheses.
 * `'unbalanced'` when a `)` closes nothing, `'not found'` when there is no such delimiter.
 */
function splitBalanced(delimiter: string, text: string): [string, string] | 'unbalanced' | 'not found' {
  let depth = 0;
  let index = 0;
  for (const character of text) {
    if (character === '(') depth += 1;
    if (character === ')') {
      depth -= 1;
      if (depth < 0) return 'unbalanced';
    }
    if (depth === 0 && character === delimiter) return [text.slice(0, index), text.slice(index + character.length)];
    index += character.length;
  }
  return 'not found';
}

/**
 * Errors for formats Buildbot accepts but latentci refuses (see the README's quirks). They are
 * raised only once the whole format, nested alternatives included, has been parsed, so that any
 * error Buildbot itself reports comes first, exactly as Buildbot reports it.
 */
let deferredErrors: ConfigurationError[] | undefined;

/** Stands for the `collections.defaultdict(str)` that Buildbot checks a format with, so errors name it alike. */
class DefaultDictionary {
  toString(): string {
    return "defaultdict(<class 'str'>, {})";
  }
}
Object.defineProperty(DefaultDictionary, 'name', { value: 'collections.defaultdict' });
const DEFAULT_DICTIONARY = new DefaultDictionary();

function emptyString(): string {
  return '';
}

function formatContext(format: string): string {
  return `invalid Interpolate format ${stringRepr(format)}`;
}

/** What a substitution looks up: the selector's source, and the name in it. */
interface LookupTarget {
  readonly selector: Selector;
  readonly codebase: string;
  readonly name: string;
}

/** The kwargs of the Interpolate whose nested alternatives are being built (they share them). */
let parentKwargs: Readonly<Record<string, unknown>> | undefined;

function isKeywordObject(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && !isRenderable(value);
}

/**
 * Deepest nesting of `%(…)` substitutions in one format (`%(prop:a:-%(prop:b)s)s` is 2): deeper
 * formats are refused at once, before the quadratic nested parse or a stack overflow.
 */
export const MAX_INTERPOLATE_NESTING = 64;

/** How deep `%(` keys nest in `format` (parentheses inside a key count), in one linear pass. */
function keyNestingDepth(format: string): number {
  let depth = 0;
  let deepest = 0;
  for (let index = 0; index < format.length; index++) {
    const code = format.charCodeAt(index);
    if (code === 37 && format.charCodeAt(index + 1) === 40) {
      depth += 1;
      index += 1;
    } else if (depth > 0 && code === 40) depth += 1;
    else if (depth > 0 && code === 41) depth -= 1;
    if (depth > deepest) deepest = depth;
  }
  return deepest;
}

/**
 * Buildbot's `Interpolate`: a format string rendered with Python `%` semantics.
 *
 * - Keyword form, `new Interpolate(format)` or `new Interpolate(format, { kw: value })`: the format
 *   uses `%(prop:name)s`, `%(src:codebase:attribute)s`, `%(kw:name)s`, `%(worker:name)s` and
 *   `%(secret:name)s`, each optionally followed by an operator — `:-default`, `:~default`,
 *   `:+replacement`, `:?|ifset|ifmissing`, `:#?|iftrue|iffalse` — whose texts are formats too.
 * - Positional form, `new Interpolate(format, ...values)`: the values (renderables, promises or
 *   plain values) are rendered and substituted for `%s`, `%d`, … in order.
 *
 * A single trailing plain object is always the keyword form; positional values followed by one
 * is Buildbot's "not both" error. Malformed formats throw `ConfigurationError` here, at
 * construction; rendering errors are `RenderError`s.
 */
export class Interpolate extends RenderableOperators implements NowRenderable {
  readonly format: string;
  /** Positional values (positional form); empty in the keyword form. */
  readonly args: readonly unknown[];
  /** Keyword values for `%(kw:…)s` (keyword form). */
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly compiled: CompiledFormat;
  /** One lookup per distinct `%(key)` of the format, in order (keyword form). */
  readonly lookups: readonly Lookup[];

  constructor(format: string, ...args: unknown[]) {
    super();
    if (typeof format !== 'string') {
      throw new ConfigurationError(`Interpolate format must be a string, got ${pythonTypeName(format)}`);
    }
    let positional = args;
    let kwargs: Readonly<Record<string, unknown>> = {};
    const last = args[args.length - 1];
    if (args.length > 0 && isKeywordObject(last)) {
      if (args.length > 1) {
        throw new ConfigurationError('Interpolate takes either positional or keyword substitutions, not both.');
      }
      positional = [];
      // A nested alternative shares its parent's copy; a caller's object is copied.
      kwargs = last === parentKwargs ? last : Object.fromEntries(Object.entries(last));
    }
    const depth = keyNestingDepth(format);
    if (depth > MAX_INTERPOLATE_NESTING) {
      throw new ConfigurationError(
        `invalid Interpolate format ${stringRepr(format.length > 200 ? `${format.slice(0, 200)}…` : format)}: substitutions are nested ${depth} levels deep, more than the ${MAX_INTERPOLATE_NESTING} allowed; flatten the format`,
      );
    }
    this.format = format;
    this.args = positional;
    this.kwargs = kwargs;
    this.compiled = compileFormat(format);
    const outermost = deferredErrors === undefined;
    if (outermost) deferredErrors = [];
    try {
      this.lookups = positional.length > 0 ? this.#checkPositionalForm() : this.#parseKeywordForm();
      const [first] = deferredErrors ?? [];
      if (outermost && first) throw first;
    } finally {
      if (outermost) deferredErrors = undefined;
    }
  }

  #context(): string {
    return formatContext(this.format);
  }

  #checkPositionalForm(): Lookup[] {
    // Zero suits every conversion, so this raises only what no value can fix: syntax, counts, keys.
    const values = new Array<number>(this.args.length).fill(0);
    try {
      applyFormat(this.compiled, { kind: 'tuple', values });
    } catch (error) {
      throw toConfigurationError(error, formatContext, this.format);
    }
    return [];
  }

  #parseKeywordForm(): Lookup[] {
    // Buildbot's check: the format applied to a mapping where every key is ''.
    try {
      applyFormat(this.compiled, { kind: 'mapping', self: DEFAULT_DICTIONARY, get: emptyString });
    } catch (error) {
      throw toConfigurationError(error, formatContext, this.format);
    }
    if (this.compiled.keylessConversions > 0) {
      deferredErrors?.push(
        new ConfigurationError(
          `${this.#context()}: a positional substitution such as %s needs positional values (new Interpolate(format, ...values)); with none, Buildbot would print the keyword mapping itself`,
        ),
      );
    }
    const keys = this.compiled.keys;
    const lookups = new Array<Lookup>(keys.length);
    for (let index = 0; index < keys.length; index += 1)
      lookups[index] = this.#parseSubstitution(keys[index] as string);
    return lookups;
  }

  #parseSubstitution(key: string): Lookup {
    const [selector, argument] = splitOnce(key);
    if (argument === undefined) {
      throw new ConfigurationError(`invalid Interpolate substitution without selector '${key}'`);
    }
    let codebase = '';
    let name: string;
    let operation: string | undefined;
    switch (selector) {
      case 'prop':
      case 'kw':
      case 'worker':
      case 'secret':
        [name, operation] = splitOnce(argument);
        if (selector === 'prop' && !IDENTIFIER.test(name)) {
          throw new ConfigurationError(`Property name must be alphanumeric for prop Interpolation '${argument}'`);
        }
        if (selector === 'kw' && !IDENTIFIER.test(name)) {
          throw new ConfigurationError(`Keyword must be alphanumeric for kw Interpolation '${argument}'`);
        }
        break;
      case 'src': {
        const [stampCodebase, rest] = splitOnce(argument);
        if (rest === undefined) {
          throw new ConfigurationError(`Must specify both codebase and attribute for src Interpolation '${argument}'`);
        }
        codebase = stampCodebase;
        [name, operation] = splitOnce(rest);
        if (!IDENTIFIER.test(codebase)) {
          throw new ConfigurationError(`Codebase must be alphanumeric for src Interpolation '${argument}'`);
        }
        if (!IDENTIFIER.test(name)) {
          throw new ConfigurationError(`Attribute must be alphanumeric for src Interpolation '${argument}'`);
        }
        break;
      }
      default:
        throw new ConfigurationError(`invalid Interpolate selector '${selector}'`);
    }

    const op = operation ?? '-';
    const target: LookupTarget = { selector, codebase, name };
    if (op.startsWith('-')) return this.#lookup(target, this.#nested(op.slice(1)), false);
    if (op.startsWith('~')) return this.#lookup(target, this.#nested(op.slice(1)), true);
    if (op.startsWith('+')) return this.#lookup(target, '', false, this.#nested(op.slice(1)));
    if (op.startsWith('?')) return this.#ternary(key, op.slice(1), false, target);
    if (op.startsWith('#?')) return this.#ternary(key, op.slice(2), true, target);
    if (op === '') {
      // Buildbot crashes here with an IndexError.
      throw new ConfigurationError(
        `invalid Interpolate default type '' in '${key}': one of -, ~, +, ?, #? must follow the ':'`,
      );
    }
    throw new ConfigurationError(`invalid Interpolate default type '${firstCharacter(op)}'`);
  }

  #lookup(target: LookupTarget, defaultValue: unknown, defaultWhenFalse: boolean, hasKey?: Interpolate): Lookup {
    const { selector, codebase, name } = target;
    return new Lookup(selector, codebase, name, this.kwargs, defaultValue, defaultWhenFalse, hasKey);
  }

  #ternary(key: string, expression: string, defaultWhenFalse: boolean, target: LookupTarget): Lookup {
    if (expression === '') {
      // Buildbot crashes here with an IndexError.
      throw new ConfigurationError(
        `invalid Interpolate ternary expression '' in '${key}': a delimiter and two alternatives must follow the '?'`,
      );
    }
    const delimiter = firstCharacter(expression);
    if (delimiter === '(') throw new ConfigurationError("invalid Interpolate ternary delimiter '('");
    const body = expression.slice(delimiter.length);
    const parts = splitBalanced(delimiter, body);
    if (typeof parts === 'string') {
      const error = new ConfigurationError(
        `invalid Interpolate ternary expression '${body}' with delimiter '${delimiter}'`,
      );
      const characters = [...body];
      if (parts === 'unbalanced' || characters.length !== 2) throw error;
      // Buildbot accepts a two-character body without a second delimiter (`?|ab` is `a` or `b`):
      // latentci refuses it, after building both alternatives as Buildbot does (their errors come first).
      for (const alternative of characters) this.#nested(alternative);
      deferredErrors?.push(error);
      return this.#lookup(target, '', defaultWhenFalse, undefined);
    }
    // Buildbot builds the true alternative first, so its errors come first.
    const whenTrue = this.#nested(parts[0]);
    return this.#lookup(target, this.#nested(parts[1]), defaultWhenFalse, whenTrue);
  }

  #nested(format: string): Interpolate {
    const outer = parentKwargs;
    parentKwargs = this.kwargs;
    try {
      return new Interpolate(format, this.kwargs);
    } finally {
      parentKwargs = outer;
    }
  }

  async getRenderingFor(properties: Properties): Promise<string> {
    return this[RENDER_NOW](properties) as string | Promise<string>;
  }

  [RENDER_NOW](properties: Properties): unknown {
    if (this.args.length > 0) {
      const values = renderNow(this.args, properties);
      return isThenable(values)
        ? values.then((rendered) => formatPositional(this.compiled, rendered as unknown[]))
        : formatPositional(this.compiled, values as unknown[]);
    }
    const lookups = this.lookups;
    const values =
      lookups.length === 1
        ? andThen((lookups[0] as Lookup)[RENDER_NOW](properties), asSingleton)
        : renderEach(lookups, renderLookup, properties, undefined);
    return isThenable(values)
      ? values.then((rendered) => formatKeywords(this.compiled, rendered as unknown[]))
      : formatKeywords(this.compiled, values as unknown[]);
  }

  /** Buildbot's repr: `Interpolate('fmt')`, `Interpolate('fmt', *(…))` or `Interpolate('fmt', **{…})`. */
  override toString(): string {
    if (this.args.length > 0) {
      const items = this.args.map((item) => pythonRepr(item));
      return `Interpolate(${stringRepr(this.format)}, *(${items.join(', ')}${items.length === 1 ? ',' : ''}))`;
    }
    if (Object.keys(this.kwargs).length > 0)
      return `Interpolate(${stringRepr(this.format)}, **${pythonRepr(this.kwargs)})`;
    return `Interpolate(${stringRepr(this.format)})`;
  }
}
rendersNow(Interpolate);

// Plain functions, not private methods: a structured copy of an Interpolate (Buildbot trac #3505) renders too.
function formatPositional(compiled: CompiledFormat, values: readonly unknown[]): string {
  try {
    return applyFormat(compiled, { kind: 'tuple', values });
  } catch (error) {
    throw toRenderError(error);
  }
}

/** `values` holds one rendered value per mapping key, in the order of `compiled.keys`. */
function formatKeywords(compiled: CompiledFormat, values: readonly unknown[]): string {
  try {
    return applyFormat(compiled, { kind: 'keyed', values });
  } catch (error) {
    throw toRenderError(error);
  }
}
