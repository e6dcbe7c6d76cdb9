import { LatentWorker, type LatentWorkerOptions } from '@latentci/core';
import { createDockerProvider, type DockerInstance } from './docker-provider.js';
import { DOCKER_SETTING_NAMES, type DockerProviderSettings } from './settings.js';

/**
 * Options of {@link dockerLatentWorker}: the Docker settings plus `LatentWorker`'s common options
 * (`name`, `password`, `masterId`, `masterFQDN`, `masterPort`, `masterProtocol`,
 * `buildWaitTimeout`, `missingTimeout`, `checkInstanceInterval`, `maxBuilds`, `properties`,
 * `logger`, `clock`, `signal`…).
 */
export interface DockerLatentWorkerOptions
  extends DockerProviderSettings,
    Omit<LatentWorkerOptions<DockerInstance>, 'provider' | 'logger'> {}

/**
 * Buildbot's `DockerLatentWorker`: a `LatentWorker` whose instances are containers on a Docker
 * engine. `buildWaitTimeout` defaults to 0 (stop as soon as idle), as in Buildbot's container
 * workers. Settings are validated now (`ConfigurationError`).
 *
 * @example
 * const worker = dockerLatentWorker({ name: 'docker-1', masterId: 'ci-master', image: 'buildbot/buildbot-worker:latest', masterFQDN: 'ci.example.org:9989' });
 */
export function dockerLatentWorker(options: DockerLatentWorkerOptions): LatentWorker<DockerInstance> {
  const settings: Record<string, unknown> = {};
  const common: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if ((DOCKER_SETTING_NAMES as readonly string[]).includes(key)) settings[key] = value;
    else common[key] = value;
  }
  const provider = createDockerProvider(settings as DockerProviderSettings);
  return new LatentWorker<DockerInstance>({
    ...(common as Omit<LatentWorkerOptions<DockerInstance>, 'provider'>),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    buildWaitTimeout: options.buildWaitTimeout ?? 0,
    provider,
  });
}
