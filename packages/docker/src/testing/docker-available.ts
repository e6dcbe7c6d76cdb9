import { ConfigurationError } from '@latentci/core';
import Dockerode from 'dockerode';

/** No Docker engine answered: tests that need one must fail, not skip. */
export class DockerUnavailableError extends ConfigurationError {}

/** Whether an engine answers `GET /_ping` (default: the engine `DOCKER_HOST` or the local socket points at). */
export async function dockerAvailable(docker: Dockerode = new Dockerode()): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws {@link DockerUnavailableError} unless an engine answers. Call it in `beforeAll` so that a
 * missing engine fails the suite with a message saying how to start one, instead of skipping.
 */
export async function assertDockerAvailable(docker: Dockerode = new Dockerode()): Promise<void> {
  try {
    await docker.ping();
  } catch (error) {
    throw new DockerUnavailableError(
      `no Docker engine answers (${(error as Error).message}): start dockerd (e.g. "pnpm engine" or "dockerd &") or set DOCKER_HOST to a reachable engine before running these tests`,
      { cause: error },
    );
  }
}
