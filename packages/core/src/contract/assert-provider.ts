import { ConfigurationError, UnsupportedSpecificationVersionError } from '../errors.js';
import { type InstanceHandle, type Provider, SUPPORTED_SPECIFICATION_VERSIONS } from './provider.js';

/**
 * Checks that `value` is a provider this core can drive and returns it typed. Throws
 * `UnsupportedSpecificationVersionError` for an unknown `specificationVersion` and
 * `ConfigurationError` when a required member is missing.
 */
export function assertProvider<Instance extends InstanceHandle = InstanceHandle>(value: unknown): Provider<Instance> {
  if (value === null || typeof value !== 'object') {
    throw new ConfigurationError(`expected a latentci provider object, got ${value === null ? 'null' : typeof value}`);
  }
  const candidate = value as Partial<Provider<Instance>> & { specificationVersion?: unknown; provider?: unknown };
  const name = typeof candidate.provider === 'string' ? candidate.provider : '<unnamed>';
  if (!SUPPORTED_SPECIFICATION_VERSIONS.includes(candidate.specificationVersion as 'v1')) {
    throw new UnsupportedSpecificationVersionError(
      `provider "${name}" implements specificationVersion ${JSON.stringify(candidate.specificationVersion)}, but this @latentci/core supports ${SUPPORTED_SPECIFICATION_VERSIONS.map((v) => `"${v}"`).join(', ')}; upgrade @latentci/core or use a provider release for this contract version`,
    );
  }
  if (typeof candidate.provider !== 'string' || candidate.provider.length === 0) {
    throw new ConfigurationError('provider is missing its "provider" name (a non-empty string)');
  }
  for (const hook of ['startInstance', 'stopInstance'] as const) {
    if (typeof candidate[hook] !== 'function') {
      throw new ConfigurationError(`provider "${name}" does not implement ${hook}()`);
    }
  }
  const capabilities = candidate.capabilities;
  if (!capabilities || typeof capabilities !== 'object') {
    throw new ConfigurationError(`provider "${name}" does not declare its capabilities`);
  }
  const required: [keyof typeof capabilities, string[]][] = [
    ['healthCheck', ['checkInstance']],
    ['perBuildSettings', ['renderStartSettings']],
    ['orphanReaping', ['listOrphans', 'reapOrphans']],
    ['healthDetails', ['checkInstance']],
  ];
  for (const [capability, hooks] of required) {
    for (const hook of hooks) {
      if (capabilities[capability] && typeof (candidate as Record<string, unknown>)[hook] !== 'function') {
        throw new ConfigurationError(
          `provider "${name}" declares capability ${capability} but does not implement ${hook}()`,
        );
      }
    }
  }
  return candidate as Provider<Instance>;
}
