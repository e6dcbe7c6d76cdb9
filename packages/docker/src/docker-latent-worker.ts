import { type CommonLatentWorkerOptions, createProviderLatentWorker, type LatentWorker } from '@latentci/core';
import { createDockerProvider, type DockerInstance } from './docker-provider.js';
import type { DockerProviderSettings } from './settings.js';

/**
 * Options of {@link dockerLatentWorker}: the Docker settings plus `LatentWorker`'s common options
 * (`name`, `password`, `masterId`, `masterFQDN`, `masterPort`, `masterProtocol`,
 * `buildWaitTimeout`, `missingTimeout`, `checkInstanceInterval`, `maxBuilds`, `properties`,
 * `logger`, `clock`, `signal`…).
 */
export interface DockerLatentWorkerOptions
  extends DockerProviderSettings,
    Omit<CommonLatentWorkerOptions<DockerInstance>, 'logger'> {
  readonly logger?: DockerProviderSettings['logger'];
}

/**
 * Buildbot's `DockerLatentWorker`: a `LatentWorker` whose instances are containers on a Docker
 * engine. `buildWaitTimeout` defaults to 0 (stop as soon as idle), as in Buildbot's container
 * workers. Settings are validated now (`ConfigurationError`).
 *
 * @example
 * const worker = dockerLatentWorker({ name: 'docker-1', masterId: 'ci-master', image: 'buildbot/buildbot-worker:latest', masterFQDN: 'ci.example.org:9989' });
 */
export function dockerLatentWorker(options: DockerLatentWorkerOptions): LatentWorker<DockerInstance> {
  return createProviderLatentWorker<DockerProviderSettings, DockerInstance>(options, createDockerProvider);
}
