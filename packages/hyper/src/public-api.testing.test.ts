import { expect, it } from 'vitest';
import * as entry from './testing.js';

// The export list of @latentci/hyper/testing is its public API: a change here is a change for every user. Keep
// it to factories, settings and option types, instance types and errors; helpers stay internal.
it('@latentci/hyper/testing exports exactly these names', () => {
  expect(Object.keys(entry).sort()).toMatchInlineSnapshot(`
    [
      "HYPER_API_VERSION",
      "startHyperSimulator",
    ]
  `);
});
