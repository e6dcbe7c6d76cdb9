import { expect, it } from 'vitest';
import * as entry from './testing.js';

// The export list of @latentci/core/testing is its public API: a change here is a change for every user. Keep
// it to factories, settings and option types, instance types and errors; helpers stay internal.
it('@latentci/core/testing exports exactly these names', () => {
  expect(Object.keys(entry).sort()).toMatchInlineSnapshot(`
    [
      "InMemoryProvider",
      "createInMemoryProvider",
      "enableSecretPublishing",
      "manualClock",
      "recordingLogger",
      "settle",
    ]
  `);
});
