import { isNotFound } from '@latentci/provider-utils';
import type Dockerode from 'dockerode';

/**
 * The containers (running or not) whose name is exactly `name`. Docker's `name` filter is a
 * substring/regex match, so `buildbot-w-1` would also find `buildbot-w-11`: keep only exact
 * `/name` matches (Buildbot #3800).
 */
export async function findContainersByExactName(
  docker: Dockerode,
  name: string,
  signal: AbortSignal,
): Promise<Dockerode.ContainerInfo[]> {
  const candidates = await docker.listContainers({ all: true, filters: { name: [name] }, abortSignal: signal });
  return candidates.filter((container) => (container.Names ?? []).includes(`/${name}`));
}

/** Force-removes a container with its anonymous volumes; a container already gone (or being removed) is fine. */
export async function removeContainer(docker: Dockerode, id: string, signal: AbortSignal): Promise<boolean> {
  try {
    await docker.getContainer(id).remove({ v: true, force: true, abortSignal: signal });
    return true;
  } catch (error) {
    if (isNotFound(error) || isRemovalInProgress(error)) return false;
    throw error;
  }
}

function isRemovalInProgress(error: unknown): boolean {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return status === 409 && /removal of container .* is already in progress/i.test(String((error as Error).message));
}
