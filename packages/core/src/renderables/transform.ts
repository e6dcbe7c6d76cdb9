import { ConfigurationError, RenderError } from '../errors.js';
import type { Properties } from './properties.js';
import { pythonTypeName } from './python-values.js';
import {
  andThen,
  isRenderable,
  type NowRenderable,
  RENDER_NOW,
  type Renderable,
  renderNow,
  rendersNow,
} from './render.js';

// biome-ignore lint/suspicious/noExplicitAny: a transform function takes whatever its arguments render to.
type AnyFunction = (...args: any[]) => unknown;

/**
 * Buildbot's `Transform(function, *args)`: renders the function (which may itself be a renderable
 * producing a function), then the arguments, and returns `function(...renderedArguments)` (awaited
 * when it is a promise, not rendered again). Python's keyword arguments are a plain-object
 * argument here: `new Transform(({ x, y }) => x + y, { x: 'a', y: new Property('b') })`.
 */
export class Transform<Result = unknown> implements Renderable<Result>, NowRenderable {
  readonly function: AnyFunction | Renderable;
  readonly args: readonly unknown[];

  constructor(fn: ((...args: never[]) => Result | PromiseLike<Result>) | Renderable, ...args: unknown[]) {
    if (typeof fn !== 'function' && !isRenderable(fn)) {
      throw new ConfigurationError('function given to Transform neither callable nor renderable');
    }
    this.function = fn as AnyFunction | Renderable;
    this.args = args;
  }

  async getRenderingFor(properties: Properties): Promise<Result> {
    return this[RENDER_NOW](properties) as Result | Promise<Result>;
  }

  [RENDER_NOW](properties: Properties): unknown {
    // The function first, then the arguments; the result is awaited, not rendered.
    return andThen(renderNow(this.function, properties), (fn) =>
      andThen(renderNow(this.args, properties), (args) => {
        if (typeof fn !== 'function') {
          throw new RenderError(`TypeError: '${pythonTypeName(fn)}' object is not callable`);
        }
        return (fn as AnyFunction)(...(args as unknown[]));
      }),
    );
  }
}
rendersNow(Transform);
