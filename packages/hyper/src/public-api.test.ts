import { expect, it } from 'vitest';
import * as entry from './index.js';

// The export list of @latentci/hyper is its public API: a change here is a change for every user. Keep
// it to factories, settings and option types, instance types and errors; helpers stay internal.
it('@latentci/hyper exports exactly these names', () => {
  expect(Object.keys(entry).sort()).toMatchInlineSnapshot(`
    [
      "DEFAULT_SIZE",
      "HYPER_SIZES",
      "HyperApiError",
      "HyperAuthenticationError",
      "HyperClockSkewError",
      "HyperPayloadRejectedError",
      "HyperRequestRejectedError",
      "ImageNotFoundError",
      "createHyperProvider",
      "createProvider",
      "hyperLatentWorker",
      "signHyperRequest",
    ]
  `);
});
