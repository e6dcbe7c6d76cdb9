import Dockerode from 'dockerode';

/**
 * Force-removes every container (running or not) that carries all `labels` (`key` or `key=value`
 * filters), with its anonymous volumes; returns how many were removed. For `afterAll` hooks.
 */
export async function removeLabelledContainers(
  labels: readonly string[],
  docker: Dockerode = new Dockerode(),
): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [...labels] } });
  let removed = 0;
  await Promise.all(
    containers.map(async (container) => {
      try {
        await docker.getContainer(container.Id).remove({ force: true, v: true });
        removed++;
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      }
    }),
  );
  return removed;
}
