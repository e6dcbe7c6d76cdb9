import { expect, it } from 'vitest';
import * as entry from './index.js';

// The export list of @latentci/test-kit is its public API: a change here is a change for every user. Keep
// it to factories, settings and option types, instance types and errors; helpers stay internal.
it('@latentci/test-kit exports exactly these names', () => {
  expect(Object.keys(entry).sort()).toMatchInlineSnapshot(`
    [
      "ATTACH_ACCEPTED",
      "ATTACH_DENIED",
      "ATTACH_ENVIRONMENT",
      "ATTACH_GREETING",
      "ATTACH_PROTOCOL_VERSION",
      "BUILDBOT_WORKER_BASEDIR",
      "BUILDBOT_WORKER_IMAGE",
      "BUILDBOT_WORKER_INPUTS_LABEL",
      "BUILDBOT_WORKER_USER",
      "BuildbotWorkerImageError",
      "BuildbotWorkerImagePrerequisiteError",
      "BusyboxNotFoundError",
      "CONFORMANCE_CASES",
      "DEFAULT_BUSYBOX_PATH",
      "DOCKER_BRIDGE_GATEWAY",
      "InMemoryProvider",
      "PROBE_CRASH_MESSAGE",
      "PROBE_DIGEST_LABEL",
      "PROBE_ENTRYPOINT",
      "PROBE_IMAGE",
      "PROBE_IMAGE_REPOSITORY",
      "PROBE_SCRIPT",
      "ProbeImageError",
      "TEST_KIT_VERSION",
      "applicableCases",
      "attachLatentWorker",
      "buildbotWorkerImageDirectory",
      "buildbotWorkerImageInputsHash",
      "collectConformanceCases",
      "conformanceSuite",
      "connectProbe",
      "createInMemoryProvider",
      "ensureBuildbotWorkerImage",
      "ensureProbeImage",
      "formatAttachEnvironment",
      "formatAttachHello",
      "inMemoryConformance",
      "isStaticElf",
      "parseAttachEnvironment",
      "parseAttachHello",
      "probeImageTag",
      "recordingStartRequest",
      "startAttachServer",
      "startProtocolFront",
      "startRealWorkerAttachServer",
      "watchLoginRefusals",
    ]
  `);
});
