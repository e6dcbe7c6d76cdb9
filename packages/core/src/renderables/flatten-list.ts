import type { Properties } from './properties.js';
import { andThen, type NowRenderable, RENDER_NOW, type Renderable, renderNow, rendersNow } from './render.js';

/**
 * Buildbot's `FlattenList`: renders a list, then flattens nested arrays into one array.
 * `add` concatenates the unflattened lists (Buildbot's `FlattenList + list`).
 */
export class FlattenList implements Renderable<unknown[]>, NowRenderable {
  readonly nestedList: readonly unknown[];

  constructor(nestedList: readonly unknown[]) {
    this.nestedList = nestedList;
  }

  /** A new FlattenList of this list followed by `other` (a FlattenList or an array). */
  add(other: FlattenList | readonly unknown[]): FlattenList {
    return new FlattenList([...this.nestedList, ...(other instanceof FlattenList ? other.nestedList : other)]);
  }

  async getRenderingFor(properties: Properties): Promise<unknown[]> {
    return this[RENDER_NOW](properties) as unknown[] | Promise<unknown[]>;
  }

  [RENDER_NOW](properties: Properties): unknown {
    return andThen(renderNow(this.nestedList, properties), (rendered) =>
      (rendered as unknown[]).flat(Number.POSITIVE_INFINITY),
    );
  }
}
rendersNow(FlattenList);
