import type { Properties } from './properties.js';
import { type Renderable, render } from './render.js';

/**
 * Buildbot's `FlattenList`: renders a list, then flattens nested arrays into one array.
 * `add` concatenates the unflattened lists (Buildbot's `FlattenList + list`).
 */
export class FlattenList implements Renderable<unknown[]> {
  readonly nestedList: readonly unknown[];

  constructor(nestedList: readonly unknown[]) {
    this.nestedList = nestedList;
  }

  /** A new FlattenList of this list followed by `other` (a FlattenList or an array). */
  add(other: FlattenList | readonly unknown[]): FlattenList {
    return new FlattenList([...this.nestedList, ...(other instanceof FlattenList ? other.nestedList : other)]);
  }

  async getRenderingFor(properties: Properties): Promise<unknown[]> {
    const rendered = (await render(this.nestedList, properties)) as unknown[];
    return rendered.flat(Number.POSITIVE_INFINITY);
  }
}
