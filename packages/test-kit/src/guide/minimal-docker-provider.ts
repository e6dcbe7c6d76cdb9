import {
  CannotSubstantiateError,
  FailedToSubstantiateError,
  type InstanceHandle,
  type OrphanInstance,
  type OwnerFilter,
  type ProviderV1,
} from '@latentci/core';
import {
  decodeDockerLog,
  environmentList,
  orphanFromLabels,
  ownerLabelFilters,
  reapEach,
} from '@latentci/provider-utils';
import Docker from 'dockerode';

export interface MinimalDockerSettings {
  /** The worker image: anything that honours BUILDMASTER, BUILDMASTER_PORT, WORKERNAME, WORKERPASS. */
  readonly image: string;
  readonly docker?: Docker;
}

/** A complete latentci provider in one function: containers on a Docker engine. */
export function createMinimalDockerProvider(settings: MinimalDockerSettings): ProviderV1<InstanceHandle> {
  const docker = settings.docker ?? new Docker();
  const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;
  const remove = async (id: string) => {
    try {
      await docker.getContainer(id).remove({ force: true });
    } catch (error) {
      if (statusOf(error) !== 404) throw error; // already gone: stopping is idempotent
    }
  };
  const listOrphans = async (owner: OwnerFilter): Promise<OrphanInstance[]> => {
    const containers = await docker.listContainers({ all: true, filters: { label: ownerLabelFilters(owner) } });
    return containers.map((container) =>
      orphanFromLabels(owner, {
        id: container.Id,
        name: container.Names[0]?.replace(/^\//, '') ?? container.Id,
        labels: container.Labels,
        state: container.State,
      }),
    );
  };

  return {
    specificationVersion: 'v1',
    provider: 'minimal-docker',
    capabilities: { healthCheck: true, perBuildSettings: false, orphanReaping: true, startupLogs: false },

    async startInstance(request, { signal }) {
      await remove(request.instanceName); // a same-named leftover of a crashed master
      signal.throwIfAborted();
      let container: Docker.Container;
      try {
        container = await docker.createContainer({
          name: request.instanceName,
          Image: settings.image,
          Labels: { ...request.labels },
          Env: environmentList(request.environment),
          HostConfig: { Init: true },
        });
      } catch (error) {
        if (statusOf(error) === 404) {
          throw new CannotSubstantiateError(`image ${settings.image} does not exist`, { cause: error });
        }
        throw new FailedToSubstantiateError(`could not create ${request.instanceName}`, { cause: error });
      }
      // Aborted from here on: the core calls stopInstance without an instance, which removes by name.
      signal.throwIfAborted();
      await container.start();
      signal.throwIfAborted(); // aborted during the start call: the stop by name removes it
      return { id: container.id, name: request.instanceName };
    },

    async stopInstance(target, { fast }) {
      const id = target.instance?.id ?? target.request.instanceName;
      if (!fast)
        await docker
          .getContainer(id)
          .stop({ t: 10 })
          .catch(() => {});
      await remove(id);
    },

    async checkInstance(instance) {
      const container = docker.getContainer(instance.id);
      const state = (await container.inspect()).State;
      if (state.Running) return { healthy: true };
      const logs = await container.logs({ stdout: true, stderr: true, tail: 100 });
      return { healthy: false, message: `exited with code ${state.ExitCode}:\n${decodeDockerLog(logs)}` };
    },

    listOrphans,

    async reapOrphans(owner, { signal }) {
      return reapEach(await listOrphans(owner), (orphan) => remove(orphan.id), { signal });
    },
  };
}
