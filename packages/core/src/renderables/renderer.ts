import type { Properties } from './properties.js';
import { pythonRepr } from './python-values.js';
import { andThen, type NowRenderable, RENDER_NOW, type Renderable, renderNow, rendersNow } from './render.js';

/** The function a {@link renderer} wraps: called with the properties, then the rendered arguments. */
export type RendererFunction<Result = unknown> = (
  properties: Properties,
  ...args: never[]
) => Result | PromiseLike<Result>;

type CallableRenderer = (properties: Properties, ...args: unknown[]) => unknown;

/**
 * A function made renderable (Buildbot's `@renderer`). Rendering renders the accumulated
 * arguments, calls `fn(properties, ...args)` — with the keyword arguments as a final object when
 * any were given — and renders its result again, so it may return a promise, a renderable or a
 * container of renderables. The object itself is not callable.
 */
export class Renderer<Result = unknown> implements Renderable<unknown>, NowRenderable {
  readonly fn: RendererFunction<Result>;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;

  constructor(
    fn: RendererFunction<Result>,
    args: readonly unknown[] = [],
    kwargs: Readonly<Record<string, unknown>> = {},
  ) {
    this.fn = fn;
    this.args = args;
    this.kwargs = kwargs;
  }

  /** A new renderer with `args` appended to the positional arguments (rendered before the call). */
  withArgs(...args: unknown[]): Renderer<Result> {
    return new Renderer(this.fn, [...this.args, ...args], this.kwargs);
  }

  /** A new renderer with `kwargs` merged into the keyword arguments (later values win). */
  withKwargs(kwargs: Readonly<Record<string, unknown>>): Renderer<Result> {
    return new Renderer(this.fn, this.args, { ...this.kwargs, ...kwargs });
  }

  async getRenderingFor(properties: Properties): Promise<unknown> {
    return this[RENDER_NOW](properties);
  }

  [RENDER_NOW](properties: Properties): unknown {
    // The arguments, then the keyword arguments, then the call; its (awaited) result is rendered.
    return andThen(renderNow(this.args, properties), (args) => {
      const hasKwargs = Object.keys(this.kwargs).length > 0;
      return andThen(hasKwargs ? renderNow(this.kwargs, properties) : undefined, (kwargs) => {
        const fn = this.fn as CallableRenderer;
        const result = hasKwargs
          ? fn(properties, ...(args as unknown[]), kwargs)
          : fn(properties, ...(args as unknown[]));
        return andThen(result, (value) => renderNow(value, properties));
      });
    });
  }

  /** Buildbot's repr: `renderer(<function name>)`, with `args=[…]`/`kwargs={…}` when present. */
  toString(): string {
    const fn = pythonRepr(this.fn);
    if (this.args.length === 0 && Object.keys(this.kwargs).length === 0) return `renderer(${fn})`;
    return `renderer(${fn}, args=${pythonRepr(this.args)}, kwargs=${pythonRepr(this.kwargs)})`;
  }
}

/** Makes `fn` a renderable (Buildbot's `@renderer` decorator). */
export function renderer<Result>(fn: RendererFunction<Result>): Renderer<Result> {
  return new Renderer(fn);
}
rendersNow(Renderer);
