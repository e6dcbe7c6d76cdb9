import { expect, it } from 'vitest';
import * as entry from './index.js';

// The export list of @latentci/cli is its public API: a change here is a change for every user. Keep
// it to factories, settings and option types, instance types and errors; helpers stay internal.
it('@latentci/cli exports exactly these names', () => {
  expect(Object.keys(entry).sort()).toMatchInlineSnapshot(`
    [
      "CLI_VERSION",
      "ConfigFileError",
      "DEFAULT_CLI_CHECK_INTERVAL",
      "DEFAULT_MASTER_HOST",
      "DEFAULT_MASTER_ID",
      "DEFAULT_MASTER_PORT",
      "DEFAULT_TRY_TIMEOUT",
      "EXIT_CODES",
      "ProviderPackageError",
      "UsageError",
      "createHumanReporter",
      "createJsonReporter",
      "diagnose",
      "listInstances",
      "loadProvider",
      "loadWorkerConfig",
      "poolWorkers",
      "reapInstances",
      "runCli",
      "simulateInMemoryWorkers",
      "tryWorker",
      "validateWorkerConfig",
    ]
  `);
});
