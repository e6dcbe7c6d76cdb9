import type { Properties } from './properties.js';
import { toRenderError } from './python-errors.js';
import { applyPythonOperator, type PythonOperator } from './python-operators.js';
import { pythonRepr } from './python-values.js';
import {
  andThen,
  type NowRenderable,
  RENDER_NOW,
  type Renderable,
  renderEach,
  renderNow,
  rendersNow,
} from './render.js';

/**
 * Buildbot's `RenderableOperatorsMixin`: `Property` and `Interpolate` combine with other values
 * into renderables that render both sides and apply Python's operator. JavaScript has no operator
 * overloading, so the operators are methods: `new Property('x').lt(2)` is Buildbot's
 * `Property('x') < 2`. For a literal on the left use the mirrored comparison (`2 < P` is `P.gt(2)`)
 * or the `r…` arithmetic forms (`2 - P` is `P.rsub(2)`).
 */
export abstract class RenderableOperators implements Renderable {
  abstract getRenderingFor(properties: Properties): unknown;

  /** Python `==`. */
  eq(other: unknown): OperatorRenderer {
    return new OperatorRenderer(this, other, '==');
  }

  /** Python `!=`. */
  ne(other: unknown): OperatorRenderer {
    return new OperatorRenderer(this, other, '!=');
  }

  /** Python `<`. */
  lt(other: unknown): OperatorRenderer {
    return new OperatorRenderer(this, other, '<');
  }

  /** Python `<=`. */
  le(other: unknown): OperatorRenderer {
    return new OperatorRenderer(this, other, '<=');
  }

  /** Python `>`. */
  gt(other: unknown): OperatorRenderer {
    return new OperatorRenderer(this, other, '>');
  }

  /** Python `>=`. */
  ge(other: unknown): OperatorRenderer {
    return new OperatorRenderer(this, other, '>=');
  }

  /** Python `+` (numbers add, strings and lists concatenate). */
  add(other: unknown): OperatorRenderer {
    return new OperatorRenderer(this, other, '+');
  }

  /** `other + this`. */
  radd(other: unknown): OperatorRenderer {
    return new OperatorRenderer(other, this, '+');
  }

  /** Python `-`. */
  sub(other: unknown): OperatorRenderer {
    return new OperatorRenderer(this, other, '-');
  }

  /** `other - this`. */
  rsub(other: unknown): OperatorRenderer {
    return new OperatorRenderer(other, this, '-');
  }

  /** Python `*` (an int times a string or list repeats it). */
  mul(other: unknown): OperatorRenderer {
    return new OperatorRenderer(this, other, '*');
  }

  /** `other * this`. */
  rmul(other: unknown): OperatorRenderer {
    return new OperatorRenderer(other, this, '*');
  }

  /** Python `/` (true division). */
  div(other: unknown): OperatorRenderer {
    return new OperatorRenderer(this, other, '/');
  }

  /** `other / this`. */
  rdiv(other: unknown): OperatorRenderer {
    return new OperatorRenderer(other, this, '/');
  }

  /** Python `//` (floor division). */
  floorDiv(other: unknown): OperatorRenderer {
    return new OperatorRenderer(this, other, '//');
  }

  /** `other // this`. */
  rfloorDiv(other: unknown): OperatorRenderer {
    return new OperatorRenderer(other, this, '//');
  }

  /** Python `%` (modulo for numbers, `%`-formatting for a string on the left). */
  mod(other: unknown): OperatorRenderer {
    return new OperatorRenderer(this, other, '%');
  }

  /** `other % this`. */
  rmod(other: unknown): OperatorRenderer {
    return new OperatorRenderer(other, this, '%');
  }

  /** Python `this in container` (Buildbot's `in_`). */
  in_(container: unknown): OperatorRenderer {
    return new OperatorRenderer(this, container, 'in');
  }
}

/** Renders both operands (concurrently), then applies the Python operator. */
export class OperatorRenderer extends RenderableOperators implements NowRenderable {
  readonly left: unknown;
  readonly right: unknown;
  readonly operator: PythonOperator;

  constructor(left: unknown, right: unknown, operator: PythonOperator) {
    super();
    this.left = left;
    this.right = right;
    this.operator = operator;
  }

  async getRenderingFor(properties: Properties): Promise<unknown> {
    return this[RENDER_NOW](properties);
  }

  [RENDER_NOW](properties: Properties): unknown {
    const operands = renderEach([this.left, this.right], renderNow, properties, undefined);
    return andThen(operands, (values) => {
      const [left, right] = values as unknown[];
      try {
        return applyPythonOperator(this.operator, left, right);
      } catch (error) {
        throw toRenderError(error);
      }
    });
  }

  /** Buildbot's repr, e.g. `Property(do-tests) < 2`. */
  override toString(): string {
    return `${pythonRepr(this.left)} ${this.operator} ${pythonRepr(this.right)}`;
  }
}
rendersNow(OperatorRenderer);
