import { LatentWorker, type LatentWorkerOptions } from '@latentci/core';
import { createHyperProvider, type HyperInstance } from './hyper-provider.js';
import type { HyperProviderSettings } from './hyper-settings.js';

/** Options of {@link hyperLatentWorker}: the common latent-worker options plus the Hyper settings. */
export type HyperLatentWorkerOptions = Omit<LatentWorkerOptions<HyperInstance>, 'provider'> &
  Omit<HyperProviderSettings, 'logger'>;

const SETTING_KEYS = [
  'hyperHost',
  'accessKey',
  'secretKey',
  'region',
  'image',
  'size',
  'fetch',
  'requestTimeout',
  'env',
] as const satisfies readonly (keyof HyperProviderSettings)[];

/**
 * Buildbot's `HyperLatentWorker`: a `LatentWorker` whose instances are Hyper containers.
 * `buildWaitTimeout` defaults to 0 (stop as soon as idle), as in Buildbot's container workers.
 */
export function hyperLatentWorker(options: HyperLatentWorkerOptions): LatentWorker<HyperInstance> {
  const settings: Record<string, unknown> = {};
  const common: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if ((SETTING_KEYS as readonly string[]).includes(key)) settings[key] = value;
    else common[key] = value;
  }
  const providerSettings = settings as unknown as HyperProviderSettings;
  const provider = createHyperProvider(
    options.logger === undefined ? providerSettings : { ...providerSettings, logger: options.logger },
  );
  options.redactor?.add(providerSettings.secretKey ?? (providerSettings.env ?? process.env).HYPER_SECRETKEY);
  return new LatentWorker<HyperInstance>({
    ...(common as Omit<LatentWorkerOptions<HyperInstance>, 'provider'>),
    buildWaitTimeout: options.buildWaitTimeout ?? 0,
    provider,
  });
}
