import { assertProvider, type Provider } from '@latentci/core';
import type { LoadedWorkerConfig, WorkerConfig } from '../config/worker-config.js';
import { loadProvider } from './load-provider.js';

/** The provider a config describes: its provider object, or one created from its package and settings. */
export async function providerFromConfig(
  config: WorkerConfig | LoadedWorkerConfig,
  options: { readonly cwd?: string | undefined } = {},
): Promise<Provider> {
  if (typeof config.provider !== 'string') return assertProvider(config.provider);
  return loadProvider(config.provider, config.settings ?? {}, {
    configDirectory: 'directory' in config ? config.directory : undefined,
    cwd: options.cwd,
  });
}

/** A short name of the config's provider for messages: the package name, or the provider's own name. */
export function providerLabel(config: WorkerConfig): string {
  return typeof config.provider === 'string' ? config.provider : config.provider.provider;
}
