import { type Properties, type Renderable, RenderError, render } from '@latentci/core';
import { assertImageReference } from '@latentci/provider-utils';

/** A setting given as a value or as a renderable (`Interpolate`, `Property`, `renderer(...)`); objects may hold renderables at any depth. */
export type MarathonRenderable<T> = T | Renderable<T>;

/** The start-relevant settings rendered with a build's properties (also the value compared for build compatibility). */
export interface RenderedMarathonSettings {
  readonly image: string;
  readonly marathonExtraConfig?: Record<string, unknown>;
}

/** Renders `image` and `marathonExtraConfig` with `properties`, as Buildbot renders them on start. */
export async function renderMarathonSettings(
  settings: {
    readonly image: MarathonRenderable<string>;
    readonly marathonExtraConfig?: MarathonRenderable<Record<string, unknown>>;
  },
  properties: Properties,
): Promise<RenderedMarathonSettings> {
  const image = await render(settings.image, properties);
  if (typeof image !== 'string') {
    throw new RenderError(
      `image must render to a string (a Docker image reference), got ${image === null ? 'null' : typeof image}`,
    );
  }
  assertImageReference(image);
  if (settings.marathonExtraConfig === undefined) return { image };
  const marathonExtraConfig = (await render(settings.marathonExtraConfig, properties)) as Record<string, unknown>;
  return { image, marathonExtraConfig };
}
