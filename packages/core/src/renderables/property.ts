import { RenderableOperators } from './operators.js';
import type { Properties } from './properties.js';
import { pythonTruthy } from './python-values.js';
import { isThenable, type NowRenderable, RENDER_NOW, renderNow, rendersNow } from './render.js';

/**
 * Renders to the value of the property `name` (Buildbot's `Property`), itself rendered when it is
 * a renderable, keeping its type (an int stays a number).
 *
 * - `defaultWhenFalse` true (the default): when the value is missing or falsy in Python's sense
 *   (`''`, `0`, `false`, `[]`, `{}`, `null`), the rendered `defaultValue` is returned instead.
 * - `defaultWhenFalse` false: `defaultValue` is used only when the property is not set.
 *
 * `defaultValue` (Python's `None`: `null` unless given) may itself be a renderable or a promise.
 */
export class Property extends RenderableOperators implements NowRenderable {
  readonly name: string;
  readonly defaultValue: unknown;
  readonly defaultWhenFalse: boolean;

  constructor(name: string, defaultValue: unknown = null, defaultWhenFalse = true) {
    super();
    this.name = name;
    this.defaultValue = defaultValue;
    this.defaultWhenFalse = defaultWhenFalse;
  }

  async getRenderingFor(properties: Properties): Promise<unknown> {
    return this[RENDER_NOW](properties);
  }

  [RENDER_NOW](properties: Properties): unknown {
    if (this.defaultWhenFalse) {
      const value = renderNow(properties.getProperty(this.name), properties);
      if (isThenable(value))
        return value.then((settled) => (pythonTruthy(settled) ? settled : renderNow(this.defaultValue, properties)));
      return pythonTruthy(value) ? value : renderNow(this.defaultValue, properties);
    }
    if (properties.hasProperty(this.name)) return renderNow(properties.getProperty(this.name), properties);
    return renderNow(this.defaultValue, properties);
  }

  /** Buildbot's repr: `Property(name)`. */
  override toString(): string {
    return `Property(${this.name})`;
  }
}
rendersNow(Property);
