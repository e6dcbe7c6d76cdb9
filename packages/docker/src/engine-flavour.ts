import type Dockerode from 'dockerode';

/** Which implementation of the Docker Engine API answers: Docker itself, or Podman's compatible API. */
export type EngineFlavour = 'docker' | 'podman';

const flavours = new WeakMap<Dockerode, Promise<EngineFlavour>>();

/**
 * Asks the engine once per client (`GET /version`; Podman names a "Podman Engine" component) and
 * remembers the answer. An engine that does not answer is taken to be Docker: the caller's own
 * request then reports the failure.
 */
export function engineFlavour(docker: Dockerode, signal?: AbortSignal): Promise<EngineFlavour> {
  let flavour = flavours.get(docker);
  if (!flavour) {
    const version = (docker.version as (options: object) => Promise<Dockerode.DockerVersion>).call(docker, {
      abortSignal: signal,
    });
    flavour = version
      .then((version) =>
        (version.Components ?? []).some((component) => /podman/i.test(component.Name)) ? 'podman' : 'docker',
      )
      .catch(() => {
        flavours.delete(docker);
        return 'docker' as const;
      });
    flavours.set(docker, flavour);
  }
  return flavour;
}
