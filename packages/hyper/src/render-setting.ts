import { type Renderable as CoreRenderable, isRenderable, type Properties, render } from '@latentci/core';

/** A setting that is either a plain value or one of core's renderables (`Interpolate`, `Property`, `renderer(fn)`…). */
export type Renderable<T> = T | CoreRenderable<T> | CoreRenderable<unknown>;

/** Whether `value` is rendered per build (a core renderable) rather than used as is. */
export function isRenderableSetting(value: unknown): boolean {
  return isRenderable(value);
}

/** Renders a setting with a build's properties (Buildbot's `properties.render`). */
export function renderSetting(value: unknown, properties: Properties): Promise<unknown> {
  return render(value, properties);
}
