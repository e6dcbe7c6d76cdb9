import { RenderError } from '../errors.js';
import type { Properties } from './properties.js';
import { isPlainObject } from './python-values.js';

/**
 * A value rendered against a build's {@link Properties} (Buildbot's `IRenderable`). Implement it
 * to make your own renderables; `getRenderingFor` may return a value or a promise.
 */
export interface Renderable<T = unknown> {
  getRenderingFor(properties: Properties): T | PromiseLike<T>;
}

/**
 * The type `render` gives a value of type `T`: what a renderable renders to, what a promise
 * resolves to, arrays, plain objects and Maps rendered member by member, anything else unchanged.
 */
export type Rendered<T> =
  T extends Renderable<infer R>
    ? Awaited<R>
    : T extends PromiseLike<infer P>
      ? P
      : T extends (...args: never[]) => unknown
        ? T
        : T extends Map<infer K, infer V>
          ? Map<Rendered<K>, Rendered<V>>
          : T extends readonly unknown[]
            ? { -readonly [I in keyof T]: Rendered<T[I]> }
            : T extends object
              ? { -readonly [K in keyof T]: Rendered<T[K]> }
              : T;

/** True for objects with a `getRenderingFor` method (Buildbot's `IRenderable.providedBy`). */
export function isRenderable(value: unknown): value is Renderable {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { getRenderingFor?: unknown }).getRenderingFor === 'function'
  );
}

/**
 * Renders `value` against `properties`, like Buildbot's `properties.render(value)`:
 * - a renderable is asked for its rendering (the result is not rendered again, except where a
 *   renderable says so: `renderer` results, property values looked up by `Property`/`Interpolate`);
 * - a promise is awaited (its result is not rendered);
 * - arrays render every element, concurrently, keeping order (the first failure wins);
 * - plain objects render every value (their keys are strings, which are never interpolated);
 *   `Map`s render keys and values, so a renderable may be a key;
 * - everything else — strings included — is returned unchanged.
 */
/**
 * Deepest nesting of arrays, objects and Maps `render` walks: deeper settings are a mistake (or an
 * attack) and would otherwise end in a raw stack overflow. A `RenderError` names the limit.
 */
export const MAX_RENDER_DEPTH = 200;

export function render<T>(value: T, properties: Properties): Promise<Rendered<T>>;
export function render(value: unknown, properties: Properties): Promise<unknown> {
  try {
    return Promise.resolve(renderNow(value, properties));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * How latentci renders without a promise per node: `renderNow` walks the tree synchronously and
 * returns the rendered value itself, or — only when something in the tree is asynchronous (a
 * promise, a secret, a renderable of your own that returns one) — a promise of it. Its results are
 * exactly `render`'s: the same values, the same errors (the first by position among those raised
 * at once, as `Promise.all` reports them), containers copied alike. Like Buildbot, whose Deferreds
 * fire synchronously for plain values.
 *
 * latentci's own renderables implement `[RENDER_NOW]`; their `getRenderingFor` wraps it in a
 * promise. A subclass that overrides `getRenderingFor` is rendered through its override.
 */
export const RENDER_NOW: unique symbol = Symbol('latentci.renderNow');

/** A renderable that renders synchronously when it can: a value, or a thenable when it cannot. */
export interface NowRenderable extends Renderable {
  [RENDER_NOW](properties: Properties): unknown;
}

/** The `getRenderingFor` functions known to do what `[RENDER_NOW]` does (not overridden). */
const nowRenderings = new WeakSet<object>();

/** Declares that `type`'s `getRenderingFor` is `[RENDER_NOW]` wrapped in a promise. */
export function rendersNow(type: { readonly prototype: NowRenderable }): void {
  nowRenderings.add(type.prototype.getRenderingFor);
}

/** True for a value `renderNow` must wait for. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** `next(value)` now, or once `value` (a thenable) settles. */
export function andThen(value: unknown, next: (value: unknown) => unknown): unknown {
  return isThenable(value) ? Promise.resolve(value).then(next) : next(value);
}

/** Renders `renderable`: through `[RENDER_NOW]` when its `getRenderingFor` is latentci's own. */
export function renderRenderable(renderable: Renderable, properties: Properties): unknown {
  if (nowRenderings.has(renderable.getRenderingFor)) return (renderable as NowRenderable)[RENDER_NOW](properties);
  return renderable.getRenderingFor(properties);
}

/** `render` without the promise: the rendered value, or a promise when something in `value` is asynchronous. */
export function renderNow(value: unknown, properties: Properties): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return value;
  return renderValue(value, properties, undefined);
}

/**
 * Renders every item of `items` with `renderOne(item, properties, context)` as `Promise.all` over
 * their renderings would: every item is rendered even when one fails; the result is the array of
 * values, or a promise of it when some item is asynchronous; a failure raised at once wins over
 * pending ones, the first by position among several. (`renderOne` is a plain function, not a
 * closure per call: this runs for every list, mapping and Interpolate rendered.)
 */
export function renderEach<Item, Context>(
  items: readonly Item[],
  renderOne: (item: Item, properties: Properties, context: Context) => unknown,
  properties: Properties,
  context: Context,
): unknown[] | Promise<unknown[]> {
  const count = items.length;
  const results = new Array<unknown>(count);
  let pending = false;
  let failed = false;
  let failure: unknown;
  for (let index = 0; index < count; index += 1) {
    try {
      const result = renderOne(items[index] as Item, properties, context);
      if (!pending && isThenable(result)) pending = true;
      results[index] = result;
    } catch (error) {
      if (!failed) {
        failed = true;
        failure = error;
      }
    }
  }
  if (failed) {
    // Pending items may still fail: their failures are handled (ignored), as Promise.all does.
    if (pending) for (const result of results) if (isThenable(result)) result.then(undefined, ignore);
    throw failure;
  }
  return pending ? Promise.all(results) : results;
}

function ignore(): void {}

/** `ancestors`: the containers being walked (created with the first one). */
function renderValue(value: unknown, properties: Properties, ancestors: object[] | undefined): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function' && isRenderable(value)) return renderRenderable(value, properties);
    return value;
  }
  if (isRenderable(value)) return renderRenderable(value, properties);
  if (isThenable(value)) return value;
  const isArray = Array.isArray(value);
  const isMap = !isArray && value instanceof Map;
  if (!isArray && !isMap && !isPlainObject(value)) return value;
  ancestors ??= [];
  if (ancestors.includes(value)) throw new RenderError('cannot render a value that contains itself');
  if (ancestors.length >= MAX_RENDER_DEPTH) {
    throw new RenderError(
      `cannot render a value nested deeper than ${MAX_RENDER_DEPTH} levels of lists and mappings: flatten the setting`,
    );
  }
  // Containers are walked synchronously (only renderables may wait), so one stack of ancestors serves the whole walk.
  const stack = ancestors;
  stack.push(value);
  try {
    if (isArray) return renderEach(value as unknown[], renderValue, properties, stack);
    if (isMap) {
      const flat: unknown[] = [];
      for (const entry of value as Map<unknown, unknown>) flat.push(entry[0], entry[1]);
      return andThen(renderEach(flat, renderValue, properties, stack), toMap);
    }
    const keys = Object.keys(value);
    const source = value as Record<string, unknown>;
    const values = keys.map((key) => source[key]);
    const rendered = renderEach(values, renderValue, properties, stack);
    return isThenable(rendered) ? rendered.then((items) => toObject(keys, items)) : toObject(keys, rendered);
  } finally {
    stack.pop();
  }
}

function toMap(flat: unknown): Map<unknown, unknown> {
  const items = flat as unknown[];
  const map = new Map<unknown, unknown>();
  for (let index = 0; index < items.length; index += 2) map.set(items[index], items[index + 1]);
  return map;
}

function toObject(keys: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index] as string;
    if (key === '__proto__') {
      Object.defineProperty(result, key, {
        value: values[index],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else result[key] = values[index];
  }
  return result;
}
