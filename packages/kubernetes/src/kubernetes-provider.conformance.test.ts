import { Interpolate, OWNER_LABELS } from '@latentci/core';
import { type BackendInstance, ensureProbeImage, PROBE_CRASH_MESSAGE, probeImageTag } from '@latentci/test-kit';
import { describeConformance } from '@latentci/test-kit/vitest';
import { afterAll } from 'vitest';
import { KubernetesImagePullError } from './errors.js';
import { createKubernetesProvider } from './kubernetes-provider.js';
import type { KubernetesSettings } from './kubernetes-settings.js';
import { SIMULATOR_CONTAINER_LABEL } from './simulator/docker-runtime.js';
import { type KubernetesSimulator, startKubernetesSimulator } from './simulator/kubernetes-simulator.js';
import { docker } from './test-support/docker.js';

// The conformance suite against the simulator's docker runtime: every worker Pod runs the probe
// image as a real container, which attaches to the suite's attach server on 172.17.0.1.
let simulator: KubernetesSimulator | undefined;
let probeImage = 'latentci-probe:unbuilt';
const crashEnvironment = { PROBE_EXIT_BEFORE_ATTACH: PROBE_CRASH_MESSAGE };

afterAll(async () => {
  await simulator?.close();
});

type Settings = Omit<KubernetesSettings, 'kubeConfig'>;

describeConformance<Settings>({
  createProvider: (settings, context) =>
    createKubernetesProvider({
      ...settings,
      // Registration reads the capabilities before setup() started the simulator; no call is made then.
      kubeConfig: { server: simulator?.url ?? 'http://127.0.0.1:1', token: 'conformance-token' },
      logger: context.logger,
      retryDelay: 100,
    }),
  backend: {
    name: 'Kubernetes simulator (docker runtime)',
    async setup() {
      probeImage = await ensureProbeImage({ docker });
      await ensureProbeImage({ docker, environment: crashEnvironment });
      simulator = await startKubernetesSimulator({
        runtime: 'docker',
        docker,
        auth: { tokens: { 'conformance-token': { name: 'system:serviceaccount:default:latentci' } } },
      });
    },
    workerSettings(kind) {
      if (kind === 'crashing') return { image: probeImageTag(crashEnvironment) };
      if (kind === 'per-build') {
        return {
          image: new Interpolate('%(prop:probe_image)s'),
          labels: { build: new Interpolate('%(prop:build_label)s') },
        };
      }
      return { image: probeImage };
    },
    startFailure: {
      settings: { image: 'latentci-conformance-missing-image:1' },
      error: KubernetesImagePullError,
      because: 'the image cannot be pulled (ErrImagePull)',
    },
    get perBuild() {
      return {
        properties: { probe_image: probeImage, build_label: 'per-build-label' },
        otherProperties: { probe_image: probeImage, build_label: 'other-build-label' },
        renderedValue: 'per-build-label',
      };
    },
    async listInstances(owner) {
      const instances: BackendInstance[] = [];
      const owned = (labels: Readonly<Record<string, string>> | undefined) =>
        labels?.[OWNER_LABELS.master] === owner.masterId &&
        (owner.workerName === undefined || labels[OWNER_LABELS.worker] === owner.workerName);
      for (const pod of simulator?.pods() ?? []) {
        if (!owned(pod.metadata.labels)) continue;
        const container = (
          pod.spec as { containers: { env?: { name: string; value?: string; valueFrom?: unknown }[] }[] }
        ).containers[0];
        const environment = Object.fromEntries(
          (container?.env ?? []).map((variable) => [
            variable.name,
            variable.value ?? secretValue(pod.metadata.name, variable.name) ?? '',
          ]),
        );
        instances.push({
          id: pod.metadata.uid,
          name: pod.metadata.name,
          state: String((pod.status as { phase?: string }).phase),
          environment,
        });
      }
      for (const secret of simulator?.secrets() ?? []) {
        if (owned(secret.metadata.labels))
          instances.push({ id: secret.metadata.uid, name: `secret ${secret.metadata.name}` });
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

/** WORKERPASS comes from the Pod's Secret: read it there, as the kubelet does. */
function secretValue(secretName: string, key: string): string | undefined {
  const secret = simulator?.secrets().find((candidate) => candidate.metadata.name === secretName);
  const encoded = (secret?.data as Record<string, string> | undefined)?.[key];
  return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
}
