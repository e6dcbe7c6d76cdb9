import { expect, it } from 'vitest';
import * as entry from './index.js';

// The export list of @latentci/docker is its public API: a change here is a change for every user. Keep
// it to factories, settings and option types, instance types and errors; helpers stay internal.
it('@latentci/docker exports exactly these names', () => {
  expect(Object.keys(entry).sort()).toMatchInlineSnapshot(`
    [
      "ContainerNameConflictError",
      "DockerApiError",
      "DockerEngineUnreachableError",
      "DockerRequestRejectedError",
      "DockerTlsError",
      "ImageNotFoundError",
      "InvalidHostConfigValueError",
      "InvalidVolumeError",
      "UnknownHostConfigKeyError",
      "WrongImagePlatformError",
      "createDockerClient",
      "createDockerProvider",
      "createProvider",
      "defaultDockerHost",
      "dockerLatentWorker",
      "parseDockerHost",
    ]
  `);
});
