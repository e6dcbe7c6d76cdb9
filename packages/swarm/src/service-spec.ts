import { ConfigurationError, type Properties, render } from '@latentci/core';
import { deepMerge } from './deep-merge.js';
import {
  isPlainObject,
  type SwarmMount,
  type SwarmResourceAmounts,
  type SwarmResources,
  type ValidatedSwarmSettings,
} from './settings.js';

/** Every start-relevant setting rendered for one build: compared structurally for build compatibility. */
export interface RenderedSwarmSettings {
  readonly image: string;
  readonly constraints: readonly string[];
  readonly preferences: readonly string[];
  readonly resources: SwarmResources;
  readonly networks: readonly string[];
  readonly mounts: readonly SwarmMount[];
  readonly hostname: string | null;
  readonly serviceSpec: Readonly<Record<string, unknown>>;
}

function stringList(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new ConfigurationError(`${name} must render to a list of strings, got ${JSON.stringify(value)}`);
  }
  return value as string[];
}

function mapping(name: string, value: unknown): Record<string, unknown> {
  if (!isPlainObject(value))
    throw new ConfigurationError(`${name} must render to a mapping, got ${JSON.stringify(value)}`);
  return value;
}

/** Renders the settings with a build's properties and checks the shapes. */
export async function renderSwarmSettings(
  settings: ValidatedSwarmSettings,
  properties: Properties,
): Promise<RenderedSwarmSettings> {
  const image = await render(settings.image, properties);
  if (typeof image !== 'string' || image === '') {
    throw new ConfigurationError(`image must render to a non-empty string, got ${JSON.stringify(image)}`);
  }
  const hostname = settings.hostname === undefined ? null : await render(settings.hostname, properties);
  if (hostname !== null && typeof hostname !== 'string') {
    throw new ConfigurationError(`hostname must render to a string, got ${JSON.stringify(hostname)}`);
  }
  const mounts = await render(settings.mounts, properties);
  if (!Array.isArray(mounts) || !mounts.every((mount) => isPlainObject(mount) && typeof mount.target === 'string')) {
    throw new ConfigurationError(
      `mounts must render to a list of { type, source, target, readOnly }, got ${JSON.stringify(mounts)}`,
    );
  }
  const preferences = stringList('preferences', await render(settings.preferences, properties));
  for (const preference of preferences) {
    if (!/^spread=\S+$/.test(preference)) {
      throw new ConfigurationError(`preferences entries look like "spread=node.labels.zone", got "${preference}"`);
    }
  }
  const resources = mapping('resources', await render(settings.resources, properties)) as SwarmResources;
  for (const key of Object.keys(resources)) {
    if (key !== 'limits' && key !== 'reservations') {
      throw new ConfigurationError(`resources has limits and reservations, not "${key}"`);
    }
  }
  return {
    image,
    constraints: stringList('constraints', await render(settings.constraints, properties)),
    preferences,
    resources,
    networks: stringList('networks', await render(settings.networks, properties)),
    mounts: mounts as SwarmMount[],
    hostname: hostname === '' ? null : hostname,
    serviceSpec: mapping('serviceSpec', await render(settings.serviceSpec, properties)),
  };
}

const MEMORY_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `"256m"` → bytes (docker's units: b, k, m, g; powers of 1024). */
export function memoryBytes(value: number | string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(value.trim()) : null;
  const unit = match ? MEMORY_UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new ConfigurationError(
      `memory must be a number of bytes or a size like "256m" or "1g", got ${JSON.stringify(value)}`,
    );
  }
  return Math.round(Number(match[1]) * unit);
}

function amounts(name: string, value: SwarmResourceAmounts | undefined): Record<string, number> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw new ConfigurationError(`resources.${name} must be a { cpus, memory } mapping`);
  const result: Record<string, number> = {};
  if (value.cpus !== undefined) {
    if (typeof value.cpus !== 'number' || !(value.cpus > 0)) {
      throw new ConfigurationError(
        `resources.${name}.cpus must be a positive number of CPUs, got ${JSON.stringify(value.cpus)}`,
      );
    }
    result.NanoCPUs = Math.round(value.cpus * 1e9);
  }
  if (value.memory !== undefined) result.MemoryBytes = memoryBytes(value.memory as number | string);
  return result;
}

export interface ServiceSpecInput {
  readonly name: string;
  readonly image: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly command: readonly string[];
  readonly rendered: RenderedSwarmSettings;
}

/**
 * The Engine API `ServiceSpec` of one worker: one replica that is never restarted, with `init`,
 * the worker environment, owner labels on the service and its containers, placement, resources,
 * networks and mounts; then `serviceSpec` deep-merged over it.
 */
export function buildServiceSpec(input: ServiceSpecInput): Record<string, unknown> {
  const { rendered } = input;
  const limits = amounts('limits', rendered.resources.limits);
  const reservations = amounts('reservations', rendered.resources.reservations);
  const containerSpec: Record<string, unknown> = {
    Image: input.image,
    Env: Object.entries(input.environment).map(([key, value]) => `${key}=${value}`),
    Labels: { ...input.labels },
    Init: true,
    ...(input.command.length > 0 ? { Args: [...input.command] } : {}),
    ...(rendered.hostname ? { Hostname: rendered.hostname } : {}),
    ...(rendered.mounts.length > 0
      ? {
          Mounts: rendered.mounts.map((mount) => ({
            Type: mount.type ?? 'volume',
            Target: mount.target,
            ...(mount.source === undefined ? {} : { Source: mount.source }),
            ...(mount.readOnly ? { ReadOnly: true } : {}),
          })),
        }
      : {}),
  };
  const spec: Record<string, unknown> = {
    Name: input.name,
    Labels: { ...input.labels },
    TaskTemplate: {
      ContainerSpec: containerSpec,
      RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
      Placement: {
        Constraints: [...rendered.constraints],
        Preferences: rendered.preferences.map((preference) => ({
          Spread: { SpreadDescriptor: preference.slice('spread='.length) },
        })),
      },
      Resources: { ...(limits ? { Limits: limits } : {}), ...(reservations ? { Reservations: reservations } : {}) },
      ...(rendered.networks.length > 0 ? { Networks: rendered.networks.map((target) => ({ Target: target })) } : {}),
    },
    Mode: { Replicated: { Replicas: 1 } },
  };
  return deepMerge(spec, rendered.serviceSpec);
}
