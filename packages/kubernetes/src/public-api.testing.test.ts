import { expect, it } from 'vitest';
import * as entry from './testing.js';

// The export list of @latentci/kubernetes/testing is its public API: a change here is a change for every user. Keep
// it to factories, settings and option types, instance types and errors; helpers stay internal.
it('@latentci/kubernetes/testing exports exactly these names', () => {
  expect(Object.keys(entry).sort()).toMatchInlineSnapshot(`
    [
      "POD_UID_CONTAINER_LABEL",
      "SIMULATOR_CONTAINER_LABEL",
      "startKubernetesSimulator",
    ]
  `);
});
