import { type Renderable as CoreRenderable, type Properties, render } from '@latentci/core';

/** A setting that is a plain value or one of core's renderables (`Interpolate`, `Property`, `renderer(fn)`…). */
export type RenderableSetting<T> = T | CoreRenderable<T> | CoreRenderable<unknown>;

/** Renders a setting deeply (arrays, plain objects, renderables) with a build's properties (core's `render`). */
export function renderSetting(value: unknown, properties: Properties): Promise<unknown> {
  return render(value, properties);
}
