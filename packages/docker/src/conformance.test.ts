import { describeConformance } from '@latentci/test-kit/vitest';
import { dockerConformanceBackend } from './conformance-backend.test-support.js';
import { createDockerProvider } from './docker-provider.js';
import type { DockerProviderSettings } from './settings.js';

describeConformance<DockerProviderSettings>({
  createProvider: (settings, context) => createDockerProvider({ ...settings, logger: context.logger }),
  backend: dockerConformanceBackend(),
});
