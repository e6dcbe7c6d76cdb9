import type { InstanceHandle, Provider } from '@latentci/core';

/** What the CLI learns about the instance by watching the provider's calls. */
export interface InstanceSighting {
  instanceName: string | undefined;
  instanceId: string | undefined;
  /** A `startInstance` call has not returned, or ended only because it was aborted: the backend has not answered it. */
  startPending?: boolean;
  /** The last `stopInstance` threw (e.g. it ran past the stop budget): what it was may still exist. */
  stopFailure?: string | undefined;
}

/** Wraps a provider so that the instance's name and id are known to the CLI (for `--keep` and reporting). */
export function observeProvider(provider: Provider, sighting: InstanceSighting): Provider {
  const wrapped: Provider = {
    specificationVersion: provider.specificationVersion,
    provider: provider.provider,
    capabilities: provider.capabilities,
    async startInstance(request, options) {
      sighting.instanceName = request.instanceName;
      sighting.startPending = true;
      try {
        const instance: InstanceHandle = await provider.startInstance(request, options);
        sighting.startPending = false;
        if (instance) sighting.instanceId = instance.id;
        return instance;
      } catch (error) {
        // A start that only ended because it was aborted (the timeout) was never answered.
        if (!options.signal.aborted) sighting.startPending = false;
        throw error;
      }
    },
    async stopInstance(target, options) {
      try {
        await provider.stopInstance(target, options);
        sighting.stopFailure = undefined;
      } catch (error) {
        sighting.stopFailure = options.signal.aborted
          ? 'it did not answer in time'
          : error instanceof Error
            ? error.message
            : String(error);
        throw error;
      }
    },
  };
  const optional: Partial<Provider> = {};
  if (provider.checkInstance)
    optional.checkInstance = (instance, options) => provider.checkInstance!(instance, options);
  if (provider.renderStartSettings)
    optional.renderStartSettings = (properties) => provider.renderStartSettings!(properties);
  if (provider.listOrphans) optional.listOrphans = (owner, options) => provider.listOrphans!(owner, options);
  if (provider.reapOrphans) optional.reapOrphans = (owner, options) => provider.reapOrphans!(owner, options);
  return Object.assign(wrapped, optional);
}
