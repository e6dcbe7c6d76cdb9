import type { Properties } from './properties.js';
import { pythonRepr } from './python-values.js';
import { type Renderable, render } from './render.js';

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
export class Renderer<Result = unknown> implements Renderable<unknown> {
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
    const args = (await render(this.args, properties)) as unknown[];
    const hasKwargs = Object.keys(this.kwargs).length > 0;
    const kwargs = hasKwargs ? await render(this.kwargs, properties) : undefined;
    const fn = this.fn as CallableRenderer;
    const result = await (hasKwargs ? fn(properties, ...args, kwargs) : fn(properties, ...args));
    return render(result, properties);
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
