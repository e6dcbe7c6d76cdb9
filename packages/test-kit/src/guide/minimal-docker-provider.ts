import {
  CannotSubstantiateError,
  FailedToSubstantiateError,
  type InstanceHandle,
  type OrphanInstance,
  OWNER_LABELS,
  type OwnerFilter,
  type ProviderV1,
} from '@latentci/core';
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
    const label = [`${OWNER_LABELS.managed}=true`, `${OWNER_LABELS.master}=${owner.masterId}`];
    if (owner.workerName !== undefined) label.push(`${OWNER_LABELS.worker}=${owner.workerName}`);
    const containers = await docker.listContainers({ all: true, filters: { label } });
    return containers.map((container) => ({
      id: container.Id,
      name: container.Names[0]?.replace(/^\//, '') ?? container.Id,
      masterId: owner.masterId,
      workerName: container.Labels[OWNER_LABELS.worker] ?? '',
      state: container.State,
    }));
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
          Env: Object.entries(request.environment).map(([name, value]) => `${name}=${value}`),
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
      return { healthy: false, message: `exited with code ${state.ExitCode}:\n${demultiplex(logs)}` };
    },

    listOrphans,

    async reapOrphans(owner) {
      const removed: OrphanInstance[] = [];
      const failed: { instance: OrphanInstance; message: string }[] = [];
      for (const orphan of await listOrphans(owner)) {
        await remove(orphan.id).then(
          () => removed.push(orphan),
          (error: Error) => failed.push({ instance: orphan, message: error.message }),
        );
      }
      return { removed, failed };
    },
  };
}

/** Docker's log stream without a TTY: 8-byte frame headers, then the payload. */
function demultiplex(buffer: Buffer): string {
  let text = '';
  for (let offset = 0; offset + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(offset + 4);
    text += buffer.subarray(offset + 8, offset + 8 + size).toString('utf8');
    offset += 8 + size;
  }
  return text;
}
