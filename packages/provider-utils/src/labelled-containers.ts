import { engineStatusCode } from './engine-errors.js';

/** The part of a dockerode container that a forced removal needs. */
export interface RemovableContainer {
  remove(options: { force: boolean }): Promise<unknown>;
}

/** The part of a dockerode client that removing labelled containers needs. */
export interface ContainerRemover {
  listContainers(options: { all: boolean; filters: string }): Promise<readonly { readonly Id: string }[]>;
  getContainer(id: string): RemovableContainer;
}

/** Removes a container, running or not; one that is gone or already being removed (404, 409) is fine. */
export async function removeContainerForcibly(container: RemovableContainer): Promise<void> {
  await container.remove({ force: true }).catch((error: unknown) => {
    const status = engineStatusCode(error);
    if (status !== 404 && status !== 409) throw error;
  });
}

/** Removes every container that carries `label` (`key=value`), as a simulator's `close()` does. */
export async function removeLabelledContainers(docker: ContainerRemover, label: string): Promise<void> {
  const leftovers = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [label] }) });
  await Promise.all(leftovers.map((info) => removeContainerForcibly(docker.getContainer(info.Id))));
}
