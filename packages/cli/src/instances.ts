import type { OrphanInstance, OwnerFilter, Provider, ReapResult } from '@latentci/core';
import { ConfigurationError } from '@latentci/core';
import { DEFAULT_MASTER_ID, type LoadedWorkerConfig, type WorkerConfig } from './config/worker-config.js';
import { providerFromConfig, providerLabel } from './provider/provider-from-config.js';

/** Which instances `ls` and `reap` act on: a config (its provider and `worker.masterId`), or a provider package and a master id. */
export type InstanceSource =
  | { readonly config: WorkerConfig | LoadedWorkerConfig }
  | { readonly provider: string; readonly settings?: Readonly<Record<string, unknown>>; readonly masterId: string };

export interface InstanceOptions {
  /** Only this worker's instances. Default: every worker of the master. */
  readonly workerName?: string | undefined;
  /** Overrides the config's `worker.masterId`. */
  readonly masterId?: string | undefined;
  readonly cwd?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

async function resolveSource(
  source: InstanceSource,
  options: InstanceOptions,
): Promise<{ provider: Provider; label: string; owner: OwnerFilter }> {
  const config: WorkerConfig | LoadedWorkerConfig =
    'config' in source
      ? source.config
      : { provider: source.provider, settings: source.settings ?? {}, worker: { name: 'latentci-cli' } };
  const masterId =
    options.masterId ?? ('config' in source ? (source.config.worker.masterId ?? DEFAULT_MASTER_ID) : source.masterId);
  const provider = await providerFromConfig(config, { cwd: options.cwd });
  const label = providerLabel(config);
  if (typeof provider.listOrphans !== 'function' || typeof provider.reapOrphans !== 'function') {
    throw new ConfigurationError(
      `provider "${label}" cannot list or remove its instances (it does not declare the orphanReaping capability); remove them with the backend's own tools`,
    );
  }
  const owner: OwnerFilter =
    options.workerName === undefined ? { masterId } : { masterId, workerName: options.workerName };
  return { provider, label, owner };
}

/** Lists the instances latentci started for the master (labels `io.latentci.*`), running or not. */
export async function listInstances(
  source: InstanceSource,
  options: InstanceOptions = {},
): Promise<{ readonly provider: string; readonly owner: OwnerFilter; readonly instances: readonly OrphanInstance[] }> {
  const { provider, label, owner } = await resolveSource(source, options);
  const instances = await provider.listOrphans!(owner, { signal: options.signal ?? new AbortController().signal });
  return { provider: label, owner, instances };
}

/** Removes the instances latentci started for the master (labels `io.latentci.*`). */
export async function reapInstances(
  source: InstanceSource,
  options: InstanceOptions = {},
): Promise<{ readonly provider: string; readonly owner: OwnerFilter } & ReapResult> {
  const { provider, label, owner } = await resolveSource(source, options);
  const result = await provider.reapOrphans!(owner, { signal: options.signal ?? new AbortController().signal });
  return { provider: label, owner, removed: result.removed, failed: result.failed };
}
