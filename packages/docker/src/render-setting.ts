import { type Renderable as CoreRenderable, isRenderable, type Properties, render } from '@latentci/core';

/** A value, or one of core's renderables (`Interpolate`, `Property`, `renderer(fn)`…) that yields it for a build. */
export type Renderable<T> = T | CoreRenderable<T> | CoreRenderable<unknown>;

/** Whether `value` is a renderable (rendered per build) rather than a plain value. */
export function isRenderableSetting(value: unknown): boolean {
  return isRenderable(value);
}

/** Renders `value` deeply (arrays, plain objects, renderables) with a build's properties (core's `render`). */
export function renderSetting(value: unknown, properties: Properties): Promise<unknown> {
  return render(value, properties);
}
