import { BUILDBOT_WORKER_IMAGE, ensureBuildbotWorkerImage } from '@latentci/test-kit';
import { describeConformance } from '@latentci/test-kit/vitest';
import { beforeAll } from 'vitest';
import { dockerConformanceBackend } from './conformance-backend.test-support.js';
import { createDockerProvider } from './docker-provider.js';
import type { DockerProviderSettings } from './settings.js';
import { docker } from './test-support.js';

// The conformance suite's real-worker mode (issue #15): the same cases with the real
// buildbot-worker 3.7 image and real PB (and msgpack) logins instead of the probe. The image is
// built (or found cached) before the first case: a first build takes minutes.
beforeAll(() => ensureBuildbotWorkerImage({ docker }), 1_800_000);

describeConformance<DockerProviderSettings>({
  createProvider: (settings, context) => createDockerProvider({ ...settings, logger: context.logger }),
  realWorker: true,
  backend: dockerConformanceBackend({
    name: 'a real Docker engine with the real buildbot-worker',
    image: BUILDBOT_WORKER_IMAGE,
  }),
});
