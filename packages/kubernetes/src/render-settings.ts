import { type Properties, type Renderable, RenderError, render } from '@latentci/core';

/** A setting given as a value or as a renderable (`Interpolate`, `Property`, `renderer(...)`); objects may hold renderables at any depth. */
export type KubernetesRenderable<T> = T | Renderable<T>;

/** The start-relevant settings rendered with a build's properties (also the value compared for build compatibility). */
export interface RenderedKubernetesSettings {
  readonly image: string;
  readonly resources?: Record<string, unknown>;
  readonly serviceContainers?: Record<string, unknown>[];
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: Record<string, unknown>[];
  readonly affinity?: Record<string, unknown>;
  readonly serviceAccountName?: string;
  readonly imagePullSecrets?: (string | { name: string })[];
  readonly podSpec?: Record<string, unknown>;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

const RENDERED = [
  'resources',
  'serviceContainers',
  'nodeSelector',
  'tolerations',
  'affinity',
  'serviceAccountName',
  'imagePullSecrets',
  'podSpec',
  'labels',
  'annotations',
] as const;

/** Renders `image` and every Pod option with `properties`, as Buildbot renders its hooks on start. */
export async function renderKubernetesSettings(
  settings: { readonly image: unknown } & { readonly [K in (typeof RENDERED)[number]]?: unknown },
  properties: Properties,
): Promise<RenderedKubernetesSettings> {
  const image = await render(settings.image, properties);
  if (typeof image !== 'string') {
    throw new RenderError(
      `image must render to a string (a container image reference), got ${image === null ? 'null' : typeof image}`,
    );
  }
  const rendered: Record<string, unknown> = { image };
  for (const name of RENDERED) {
    if (settings[name] === undefined) continue;
    const value = await render(settings[name], properties);
    if (value !== undefined && value !== null) rendered[name] = value;
  }
  return rendered as unknown as RenderedKubernetesSettings;
}
