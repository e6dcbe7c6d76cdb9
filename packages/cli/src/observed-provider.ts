import type { InstanceHandle, Provider } from '@latentci/core';

/** What the CLI learns about the instance by watching the provider's calls. */
export interface InstanceSighting {
  instanceName: string | undefined;
  instanceId: string | undefined;
}

/** Wraps a provider so that the instance's name and id are known to the CLI (for `--keep` and reporting). */
export function observeProvider(provider: Provider, sighting: InstanceSighting): Provider {
  const wrapped: Provider = {
    specificationVersion: provider.specificationVersion,
    provider: provider.provider,
    capabilities: provider.capabilities,
    async startInstance(request, options) {
      sighting.instanceName = request.instanceName;
      const instance: InstanceHandle = await provider.startInstance(request, options);
      if (instance) sighting.instanceId = instance.id;
      return instance;
    },
    stopInstance: (target, options) => provider.stopInstance(target, options),
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
