import { expect, it } from 'vitest';
import * as entry from './testing.js';

// The export list of @latentci/docker/testing is its public API: a change here is a change for every user. Keep
// it to factories, settings and option types, instance types and errors; helpers stay internal.
it('@latentci/docker/testing exports exactly these names', () => {
  expect(Object.keys(entry).sort()).toMatchInlineSnapshot(`
    [
      "BUSYBOX_IMAGE",
      "DockerUnavailableError",
      "assertDockerAvailable",
      "createTarArchive",
      "dockerAvailable",
      "importBusyboxImage",
      "recordEvents",
      "removeLabelledContainers",
      "startDockerTcpForwarder",
      "startLocalRegistry",
    ]
  `);
});
