import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '@latentci/core';
import { recordingStartRequest as startRequest } from '@latentci/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesForbiddenError } from './errors.js';
import { type KubeConfigOption, loadKubeConfig, SERVICE_ACCOUNT_DIRECTORY } from './kube-config.js';
import { createKubernetesProvider } from './kubernetes-provider.js';
import { type KubernetesSimulator, startKubernetesSimulator } from './simulator/kubernetes-simulator.js';
import { createTestCertificates, type TestCertificates } from './test-support/certificates.js';

// The ways to reach a cluster, each loaded by the official client's loaders, against an HTTPS
// simulator that checks bearer tokens and client certificates.
let simulator: KubernetesSimulator;
let certificates: TestCertificates;
let directory: string;
const signal = new AbortController().signal;

beforeAll(async () => {
  certificates = createTestCertificates('latentci-admin');
  directory = mkdtempSync(join(tmpdir(), 'latentci-kubeconfig-'));
  simulator = await startKubernetesSimulator({
    runtime: 'virtual',
    namespaces: ['default', 'team-a', 'in-cluster-ns'],
    tls: { cert: certificates.serverCert, key: certificates.serverKey, clientCa: certificates.ca },
    auth: {
      tokens: {
        'service-account-token': { name: 'system:serviceaccount:in-cluster-ns:latentci' },
        'team-a-token': { name: 'team-a' },
      },
      certificateUsers: { 'latentci-admin': undefined },
    },
  });
});
afterAll(async () => {
  await simulator.close();
  rmSync(directory, { recursive: true, force: true });
});

/** Starts a worker through a provider with this kubeConfig; returns the namespace and user the simulator saw. */
async function startWith(kubeConfig: KubeConfigOption, namespace?: string) {
  const provider = createKubernetesProvider({ image: 'worker:1', kubeConfig, ...(namespace ? { namespace } : {}) });
  const request = startRequest();
  const instance = await provider.startInstance(request, { signal });
  await provider.stopInstance({ request, instance }, { fast: true, signal });
  const created = simulator
    .requests()
    .filter((entry) => entry.method === 'POST' && entry.path.endsWith('/pods'))
    .at(-1);
  return { namespace: instance.namespace, user: created?.user };
}

function kubeconfigYaml(): string {
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  return `apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: simulated
  cluster:
    server: ${simulator.url}
    certificate-authority-data: ${base64(certificates.ca)}
users:
- name: admin
  user:
    client-certificate-data: ${base64(certificates.clientCert)}
    client-key-data: ${base64(certificates.clientKey)}
- name: team-a
  user:
    token: team-a-token
contexts:
- name: admin
  context: { cluster: simulated, user: admin }
- name: team-a
  context: { cluster: simulated, user: team-a, namespace: team-a }
`;
}

describe('kubeConfig', () => {
  it('a kubeconfig file: its current context, authenticated by client certificate, namespace default', async () => {
    const file = join(directory, 'config');
    writeFileSync(file, kubeconfigYaml());
    expect(await startWith(file)).toEqual({ namespace: 'default', user: 'latentci-admin' });
  });

  it('a kubeconfig file with a context: its user (a token) and its namespace', async () => {
    const file = join(directory, 'config');
    writeFileSync(file, kubeconfigYaml());
    expect(await startWith({ file, context: 'team-a' })).toEqual({ namespace: 'team-a', user: 'team-a' });
    expect(await startWith({ file, context: 'team-a' }, 'default')).toEqual({ namespace: 'default', user: 'team-a' });
  });

  it('an unknown context is a ConfigurationError listing the known ones', () => {
    const file = join(directory, 'config');
    writeFileSync(file, kubeconfigYaml());
    expect(() => loadKubeConfig({ file, context: 'prod' })).toThrow(ConfigurationError);
    expect(() => loadKubeConfig({ file, context: 'prod' })).toThrow(/no context "prod"; it has "admin", "team-a"/);
  });

  it('in-cluster: the service account directory (token, ca.crt, namespace) and KUBERNETES_SERVICE_HOST/PORT', async () => {
    const root = join(directory, 'pod-root');
    const serviceAccount = join(root, SERVICE_ACCOUNT_DIRECTORY);
    mkdirSync(serviceAccount, { recursive: true });
    writeFileSync(join(serviceAccount, 'token'), 'service-account-token');
    writeFileSync(join(serviceAccount, 'ca.crt'), certificates.ca);
    writeFileSync(join(serviceAccount, 'namespace'), 'in-cluster-ns');
    const url = new URL(simulator.url);
    process.env.KUBERNETES_SERVICE_HOST = url.hostname;
    process.env.KUBERNETES_SERVICE_PORT = url.port;
    try {
      expect(await startWith({ inCluster: true, serviceAccountDirectory: serviceAccount })).toEqual({
        namespace: 'in-cluster-ns',
        user: 'system:serviceaccount:in-cluster-ns:latentci',
      });
    } finally {
      delete process.env.KUBERNETES_SERVICE_HOST;
      delete process.env.KUBERNETES_SERVICE_PORT;
    }
    expect(() => loadKubeConfig({ inCluster: true, serviceAccountDirectory: serviceAccount })).toThrow(
      /KUBERNETES_SERVICE_HOST/,
    );
  });

  it('explicit: server, token and CA (KubeHardcodedConfig)', async () => {
    expect(
      await startWith({ server: simulator.url, token: 'team-a-token', ca: certificates.ca, namespace: 'team-a' }),
    ).toEqual({
      namespace: 'team-a',
      user: 'team-a',
    });
  });

  it('explicit: client certificate and key', async () => {
    expect(
      await startWith({
        server: simulator.url,
        clientCert: certificates.clientCert,
        clientKey: certificates.clientKey,
        ca: certificates.ca,
      }),
    ).toEqual({ namespace: 'default', user: 'latentci-admin' });
  });

  it('a kubeconfig object', async () => {
    const document = {
      clusters: [
        {
          name: 'c',
          cluster: {
            server: simulator.url,
            'certificate-authority-data': Buffer.from(certificates.ca).toString('base64'),
          },
        },
      ],
      users: [{ name: 'u', user: { token: 'team-a-token' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', namespace: 'team-a' } }],
      'current-context': 'x',
    };
    expect(await startWith(document)).toEqual({ namespace: 'team-a', user: 'team-a' });
  });

  it('a token the server does not know is 401, and the token never appears in the error', async () => {
    const provider = createKubernetesProvider({
      image: 'worker:1',
      kubeConfig: { server: simulator.url, token: 'stolen-token-value', ca: certificates.ca },
    });
    const error = await provider.startInstance(startRequest(), { signal }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KubernetesForbiddenError);
    expect(String((error as Error).message)).not.toContain('stolen-token-value');
  });

  it('rejects half a client certificate and a server that is not a URL', () => {
    expect(() => loadKubeConfig({ server: simulator.url, clientCert: certificates.clientCert })).toThrow(
      /clientCert and kubeConfig.clientKey go together/,
    );
    expect(() => loadKubeConfig({ server: 'cluster.example' })).toThrow(/must be a URL/);
  });
});
