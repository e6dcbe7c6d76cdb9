import { CannotSubstantiateError, Interpolate, OWNER_LABELS } from '@latentci/core';
import { ensureProbeImage, PROBE_CRASH_MESSAGE } from '@latentci/test-kit';
import { describeConformance } from '@latentci/test-kit/vitest';
import { afterAll } from 'vitest';
import { createHyperProvider } from './hyper-provider.js';
import type { HyperProviderSettings } from './settings.js';
import { type HyperSimulator, startHyperSimulator } from './simulator/start-hyper-simulator.js';

// The conformance suite through Hyper: every worker is the probe image, run as a real container
// by the Hyper simulator on the local engine, attaching to the suite's attach server on 172.17.0.1.
// The simulator is strict: every request the provider sends must verify.
const ACCESS_KEY = 'CONFORMANCEACCESSKEY';
const SECRET_KEY = 'conformance-secret-key-0123456789abcdef';
let simulator: HyperSimulator | undefined;
let probeImage = 'latentci-probe:unbuilt';
let crashingImage = 'latentci-probe:unbuilt';

afterAll(async () => {
  await simulator?.close(); // strict: fails if any request did not verify
});

type Settings = Pick<HyperProviderSettings, 'image' | 'size'>;

describeConformance<Settings>({
  createProvider: (settings, context) =>
    createHyperProvider({
      ...settings,
      // Registration reads the capabilities before setup() started the simulator; no call is made then.
      hyperHost: simulator?.url ?? 'http://127.0.0.1:1',
      accessKey: ACCESS_KEY,
      secretKey: SECRET_KEY,
      logger: context.logger,
    }),
  backend: {
    name: 'the Hyper simulator on a real Docker engine',
    async setup() {
      probeImage = await ensureProbeImage();
      crashingImage = await ensureProbeImage({ environment: { PROBE_EXIT_BEFORE_ATTACH: PROBE_CRASH_MESSAGE } });
      simulator = await startHyperSimulator({ credentials: { [ACCESS_KEY]: SECRET_KEY }, strict: true });
    },
    workerSettings(kind) {
      if (kind === 'crashing') return { image: crashingImage, size: 's1' };
      if (kind === 'per-build') {
        return { image: new Interpolate('%(prop:probe_image)s'), size: new Interpolate('%(prop:size)s') };
      }
      return { image: probeImage };
    },
    startFailure: {
      settings: { image: 'latentci-hyper-conformance-missing-image:1' },
      error: CannotSubstantiateError,
      because: 'Hyper has no such image (404 No such image)',
    },
    get perBuild() {
      return {
        properties: { probe_image: probeImage, size: 's2' },
        otherProperties: { probe_image: probeImage, size: 'm1' },
        renderedValue: 's2',
      };
    },
    async listInstances(owner) {
      const containers = (await simulator?.containers()) ?? [];
      return containers
        .filter(
          (container) =>
            container.labels[OWNER_LABELS.master] === owner.masterId &&
            (owner.workerName === undefined || container.labels[OWNER_LABELS.worker] === owner.workerName),
        )
        .map((container) => ({
          id: container.id,
          name: container.name,
          state: container.state,
          environment: container.environment,
        }));
    },
  },
});
