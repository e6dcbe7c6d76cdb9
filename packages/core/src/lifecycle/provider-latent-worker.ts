import type { InstanceHandle, Provider } from '../contract/provider.js';
import type { Logger } from '../logging/logger.js';
import { redactingLogger } from '../secrets/redacting-logger.js';
import { Redactor } from '../secrets/redactor.js';
import { LatentWorker } from './latent-worker.js';
import type { LatentWorkerOptions } from './options.js';

/** `LatentWorker`'s own options: everything but the provider. */
export type CommonLatentWorkerOptions<Instance extends InstanceHandle = InstanceHandle> = Omit<
  LatentWorkerOptions<Instance>,
  'provider'
>;

/** The names of `LatentWorker`'s own options; any other option of a provider's worker factory is a provider setting. */
export const LATENT_WORKER_OPTION_NAMES = [
  'name',
  'password',
  'masterId',
  'masterPort',
  'masterFQDN',
  'masterProtocol',
  'buildWaitTimeout',
  'missingTimeout',
  'checkInstanceInterval',
  'stopTimeout',
  'maxBuilds',
  'properties',
  'logger',
  'clock',
  'signal',
  'redactor',
] as const satisfies readonly (keyof CommonLatentWorkerOptions)[];

// Fails to compile when LatentWorkerOptions gains an option the list above does not name.
type UnlistedOption = Exclude<keyof CommonLatentWorkerOptions, (typeof LATENT_WORKER_OPTION_NAMES)[number]>;
const everyOptionListed: [UnlistedOption] extends [never] ? true : UnlistedOption = true;
void everyOptionListed;

/** Splits a worker factory's options into `LatentWorker`'s own and the provider's settings (undefined values dropped). */
export function splitLatentWorkerOptions<Settings extends object, Instance extends InstanceHandle = InstanceHandle>(
  options: Settings & CommonLatentWorkerOptions<Instance>,
): { readonly common: CommonLatentWorkerOptions<Instance>; readonly settings: Settings } {
  const common: Record<string, unknown> = {};
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if ((LATENT_WORKER_OPTION_NAMES as readonly string[]).includes(key)) common[key] = value;
    else settings[key] = value;
  }
  return { common: common as unknown as CommonLatentWorkerOptions<Instance>, settings: settings as Settings };
}

/** What a provider package adds to {@link createProviderLatentWorker}. */
export interface ProviderLatentWorkerExtras {
  /** Secrets of the provider's settings (an API key): the worker's redactor removes them everywhere. */
  readonly secrets?: readonly (string | undefined)[] | undefined;
}

/**
 * What every provider package's worker factory (`dockerLatentWorker`, `hyperLatentWorker`,
 * `marathonLatentWorker`) does: the provider gets its settings and the worker's logger, wrapped so
 * that it redacts every secret the worker knows (the worker passwords, `extras.secrets`,
 * `%(secret:…)s` values): no provider redacts by hand. The worker gets the rest, and
 * `buildWaitTimeout` defaults to 0 — stop as soon as idle — as in Buildbot's container workers.
 */
export function createProviderLatentWorker<Settings extends object, Instance extends InstanceHandle>(
  options: Settings & CommonLatentWorkerOptions<Instance>,
  createProvider: (settings: Settings & { readonly logger?: Logger }) => Provider<Instance>,
  extras: ProviderLatentWorkerExtras = {},
): LatentWorker<Instance> {
  const { common, settings } = splitLatentWorkerOptions<Settings, Instance>(options);
  const redactor = common.redactor ?? new Redactor();
  for (const secret of extras.secrets ?? []) redactor.add(secret);
  const provider = createProvider(
    common.logger === undefined ? settings : { ...settings, logger: redactingLogger(common.logger, redactor) },
  );
  return new LatentWorker<Instance>({ ...common, redactor, buildWaitTimeout: common.buildWaitTimeout ?? 0, provider });
}
