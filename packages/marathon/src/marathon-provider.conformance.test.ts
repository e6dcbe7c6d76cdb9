import { ConfigurationError, Interpolate, OWNER_LABELS } from '@latentci/core';
import { type BackendInstance, ensureProbeImage, PROBE_CRASH_MESSAGE } from '@latentci/test-kit';
import { describeConformance } from '@latentci/test-kit/vitest';
import { afterAll, expect } from 'vitest';
import { createMarathonProvider } from './marathon-provider.js';
import type { MarathonSettings } from './settings.js';
import { SIMULATOR_CONTAINER_LABEL } from './simulator/docker-runtime.js';
import { type MarathonSimulator, startMarathonSimulator } from './simulator/marathon-simulator.js';
import { createAppDefinitionValidator } from './test-support/app-definition-schema.js';
import { docker } from './test-support/docker.js';

// The conformance suite against the simulator's docker runtime: every worker is the probe image,
// run as a real container by a Marathon app, attaching to the suite's attach server on 172.17.0.1.
let simulator: MarathonSimulator | undefined;
let probeImage = 'latentci-probe:unbuilt';
const INVALID_MEMORY = -1;

afterAll(async () => {
  if (!simulator) return;
  // Every app definition the provider emitted validates against Marathon's AppDefinition.json,
  // except the deliberately invalid one of the start-failure case.
  const unexpected = simulator
    .violations()
    .filter((violation) => (violation.body as { mem?: unknown }).mem !== INVALID_MEMORY);
  await simulator.close();
  expect(unexpected).toEqual([]);
});

type Settings = Omit<MarathonSettings, 'marathonUrl'>;

describeConformance<Settings>({
  createProvider: (settings, context) =>
    createMarathonProvider({
      ...settings,
      // Registration reads the capabilities before setup() started the simulator; no call is made then.
      marathonUrl: simulator?.url ?? 'http://127.0.0.1:1',
      logger: context.logger,
      deploymentPollIntervalMs: 100,
      retryDelayMs: 100,
    }),
  backend: {
    name: 'marathon simulator (docker runtime)',
    async setup() {
      probeImage = await ensureProbeImage();
      simulator = await startMarathonSimulator({
        runtime: 'docker',
        deploymentDuration: 100,
        validateAppDefinition: createAppDefinitionValidator(),
      });
    },
    workerSettings(kind) {
      if (kind === 'crashing') {
        return {
          image: probeImage,
          marathonExtraConfig: { env: { PROBE_EXIT_BEFORE_ATTACH: PROBE_CRASH_MESSAGE }, backoffSeconds: 600 },
        };
      }
      if (kind === 'per-build') return { image: new Interpolate('%(prop:probe_image)s') };
      return { image: probeImage };
    },
    startFailure: {
      settings: { image: 'latentci-probe:any', marathonExtraConfig: { mem: INVALID_MEMORY } },
      error: ConfigurationError,
      because: 'Marathon rejects the app definition (422: negative mem)',
    },
    get perBuild() {
      return {
        properties: { probe_image: probeImage },
        otherProperties: { probe_image: 'latentci-probe:other' },
        renderedValue: probeImage,
      };
    },
    async listInstances(owner) {
      const instances: BackendInstance[] = [];
      const owned = (labels: Readonly<Record<string, string>> | undefined) =>
        labels?.[OWNER_LABELS.master] === owner.masterId &&
        (owner.workerName === undefined || labels[OWNER_LABELS.worker] === owner.workerName);
      for (const app of simulator?.apps() ?? []) {
        if (owned(app.labels))
          instances.push({ id: app.id, state: `tasks running: ${app.tasks.length}`, environment: app.env });
      }
      if (simulator) {
        const containers = await docker.listContainers({
          all: true,
          filters: JSON.stringify({ label: [`${SIMULATOR_CONTAINER_LABEL}=${simulator.id}`] }),
        });
        for (const container of containers) {
          if (owned(container.Labels))
            instances.push({ id: container.Id, name: container.Names[0] ?? '', state: container.State });
        }
      }
      return instances;
    },
  },
});
