import { expect, it } from 'vitest';
import * as entry from './index.js';

// The export list of @latentci/provider-utils is its public API: a change here is a change for every user. Keep
// it to factories, settings and option types, instance types and errors; helpers stay internal.
it('@latentci/provider-utils exports exactly these names', () => {
  expect(Object.keys(entry).sort()).toMatchInlineSnapshot(`
    [
      "DockerLogDecoder",
      "LineSplitter",
      "abortReasonOr",
      "abortableSleep",
      "assertContainerName",
      "assertImageReference",
      "clipText",
      "createTarArchive",
      "decodeDockerLog",
      "encodePathSegments",
      "engineMessage",
      "engineStatusCode",
      "environmentList",
      "followDockerLogStream",
      "followInBackground",
      "isNotFound",
      "isOwnedBy",
      "orphanFromLabels",
      "ownerLabelFilters",
      "poll",
      "quoteValue",
      "reapEach",
      "removeContainerForcibly",
      "removeLabelledContainers",
      "renderSetting",
      "requiredSettingOrEnvironment",
      "settingOrEnvironment",
    ]
  `);
});
