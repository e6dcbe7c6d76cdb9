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

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
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
export async function render(value: unknown, properties: Properties): Promise<unknown> {
  return renderValue(value, properties, []);
}

async function renderValue(value: unknown, properties: Properties, ancestors: object[]): Promise<unknown> {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function' && isRenderable(value)) return value.getRenderingFor(properties);
    return value;
  }
  if (isRenderable(value)) return value.getRenderingFor(properties);
  if (isThenable(value)) return value;
  const isArray = Array.isArray(value);
  const isMap = value instanceof Map;
  if (!isArray && !isMap && !isPlainObject(value)) return value;
  if (ancestors.includes(value)) throw new RenderError('cannot render a value that contains itself');
  if (ancestors.length >= MAX_RENDER_DEPTH) {
    throw new RenderError(
      `cannot render a value nested deeper than ${MAX_RENDER_DEPTH} levels of lists and mappings: flatten the setting`,
    );
  }
  const inner = [...ancestors, value];
  if (isArray) return Promise.all(value.map((item) => renderValue(item, properties, inner)));
  if (isMap) {
    const entries = await Promise.all(
      [...value.entries()].map(([key, item]) =>
        Promise.all([renderValue(key, properties, inner), renderValue(item, properties, inner)]),
      ),
    );
    return new Map(entries);
  }
  const entries = await Promise.all(
    Object.entries(value).map(async ([key, item]) => [key, await renderValue(item, properties, inner)] as const),
  );
  return Object.fromEntries(entries);
}
