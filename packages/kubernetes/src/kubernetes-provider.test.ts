import { CannotSubstantiateError, ConfigurationError, Interpolate, OWNER_LABELS, Properties } from '@latentci/core';
import { recordingStartRequest as startRequest } from '@latentci/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KubernetesApiError,
  KubernetesForbiddenError,
  KubernetesImagePullError,
  KubernetesInvalidObjectError,
  KubernetesNamespaceNotFoundError,
} from './errors.js';
import { createKubernetesProvider, type KubernetesInstance } from './kubernetes-provider.js';
import type { KubernetesSettings } from './kubernetes-settings.js';
import { KUBERNETES_PROVIDER_RBAC_RULES } from './rbac-rules.js';
import type { StoredObject } from './simulator/cluster-store.js';
import { type KubernetesSimulator, startKubernetesSimulator } from './simulator/kubernetes-simulator.js';

// The provider against the simulator's virtual runtime (nothing runs; pods are Running at once):
// what reaches the API, the answers it turns into verdicts and typed errors.
let simulator: KubernetesSimulator;
const signal = new AbortController().signal;

beforeAll(async () => {
  simulator = await startKubernetesSimulator({
    runtime: 'virtual',
    namespaces: ['default', 'ci'],
    auth: {
      tokens: {
        admin: { name: 'admin' },
        'role-token': { name: 'system:serviceaccount:ci:latentci', rules: KUBERNETES_PROVIDER_RBAC_RULES },
        'read-only': { name: 'viewer', rules: [{ verbs: ['get', 'list', 'watch'], resources: ['pods'] }] },
      },
    },
  });
});
afterAll(async () => {
  await simulator.close();
});

function provider(settings: Partial<KubernetesSettings> = {}, token = 'admin') {
  return createKubernetesProvider({
    image: 'buildbot/buildbot-worker:3.7',
    kubeConfig: { server: simulator.url, token },
    namespace: 'ci',
    retryDelay: 20,
    ...settings,
  });
}

function podNamed(name: string): StoredObject {
  const pod = simulator.pods('ci').find((candidate) => candidate.metadata.name === name);
  if (!pod) throw new Error(`no pod ${name}`);
  return pod;
}

/** Waits until the provider's watch of the Pod is established (its request reached the simulator). */
async function podWatchEstablished(name: string, since: number): Promise<void> {
  await expect
    .poll(() =>
      simulator
        .requests()
        .slice(since)
        .some((entry) => entry.query.includes('watch=true') && entry.query.includes(name)),
    )
    .toBe(true);
}

async function startAndStop<T>(
  settings: Partial<KubernetesSettings>,
  inspect: (pod: StoredObject, instance: KubernetesInstance) => T | Promise<T>,
  overrides: Parameters<typeof startRequest>[0] = {},
): Promise<T> {
  const subject = provider(settings);
  const request = startRequest(overrides);
  const instance = await subject.startInstance(request, { signal });
  try {
    return await inspect(podNamed(instance.name), instance);
  } finally {
    await subject.stopInstance({ request, instance }, { fast: true, signal });
  }
}

describe('the created Pod (Buildbot getPodSpec)', () => {
  it("is named like Buildbot's instance, restartPolicy Never, its first container runs the image with the environment contract", async () => {
    await startAndStop({}, (pod) => {
      expect(pod.metadata.name).toBe('buildbot-bot-87de7e');
      const spec = pod.spec as { restartPolicy: string; containers: { name: string; image: string; env: unknown[] }[] };
      expect(spec.restartPolicy).toBe('Never');
      expect(spec.containers[0]?.name).toBe('buildbot-bot-87de7e');
      expect(spec.containers[0]?.image).toBe('buildbot/buildbot-worker:3.7');
      expect(spec.containers[0]?.env).toEqual([
        { name: 'BUILDMASTER', value: 'master' },
        { name: 'BUILDMASTER_PORT', value: '1234' },
        { name: 'BUILDMASTER_PROTOCOL', value: 'pb' },
        { name: 'WORKERNAME', value: 'bot' },
        { name: 'WORKERPASS', valueFrom: { secretKeyRef: { name: 'buildbot-bot-87de7e', key: 'WORKERPASS' } } },
      ]);
      expect(pod.metadata.labels).toMatchObject({
        [OWNER_LABELS.managed]: 'true',
        [OWNER_LABELS.worker]: 'bot',
      });
    });
  });

  it('carries every Pod option, rendered with the build properties', async () => {
    const properties = new Properties();
    properties.setProperty('cpu', '500m', 'Build');
    properties.setProperty('pool', 'fast', 'Build');
    const settings: Partial<KubernetesSettings> = {
      image: new Interpolate('registry.example/worker:%(prop:pool)s'),
      resources: { requests: { cpu: new Interpolate('%(prop:cpu)s') }, limits: { memory: '1Gi' } },
      serviceContainers: [{ name: 'database', image: 'postgres:16' }],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ci', effect: 'NoSchedule' }],
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
      serviceAccountName: 'ci-worker',
      imagePullSecrets: ['registry-credentials', { name: 'other-credentials' }],
      podSpec: {
        activeDeadlineSeconds: 7200,
        containers: [{ name: 'database', env: [{ name: 'POSTGRES_PASSWORD', value: 'x' }] }],
      },
      labels: { team: 'infra', pool: new Interpolate('%(prop:pool)s') },
      annotations: { 'example.com/owner': 'ci' },
    };
    const subject = provider(settings);
    const request = { ...startRequest(), properties };
    const instance = await subject.startInstance(request, { signal });
    const pod = podNamed(instance.name);
    await subject.stopInstance({ request, instance }, { fast: true, signal });
    const spec = pod.spec as Record<string, unknown> & { containers: Record<string, unknown>[] };
    expect(spec.containers[0]).toMatchObject({
      image: 'registry.example/worker:fast',
      resources: { requests: { cpu: '500m' }, limits: { memory: '1Gi' } },
    });
    expect(spec.containers[1]).toEqual({
      name: 'database',
      image: 'postgres:16',
      env: [{ name: 'POSTGRES_PASSWORD', value: 'x' }],
    });
    expect(spec).toMatchObject({
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ci', effect: 'NoSchedule' }],
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
      serviceAccountName: 'ci-worker',
      imagePullSecrets: [{ name: 'registry-credentials' }, { name: 'other-credentials' }],
      activeDeadlineSeconds: 7200,
    });
    expect(pod.metadata.labels).toMatchObject({ team: 'infra', pool: 'fast', [OWNER_LABELS.managed]: 'true' });
    expect(pod.metadata.annotations).toMatchObject({
      'example.com/owner': 'ci',
      [OWNER_LABELS.master]: 'fake:/master',
    });
    expect(await subject.renderStartSettings?.(properties)).toMatchObject({ image: 'registry.example/worker:fast' });
  });

  it('keeps the owner labels when the labels option names them', async () => {
    await startAndStop({ labels: { [OWNER_LABELS.worker]: 'someone-else' } }, (pod) => {
      expect(pod.metadata.labels?.[OWNER_LABELS.worker]).toBe('bot');
    });
  });

  it('labels a master id that is not a valid label value by its hash, and keeps the exact id in an annotation', async () => {
    await startAndStop(
      {},
      (pod) => {
        expect(pod.metadata.labels?.[OWNER_LABELS.master]).toMatch(/^sha1-[0-9a-f]{40}$/);
        expect(pod.metadata.annotations?.[OWNER_LABELS.master]).toBe('https://ci.example/master');
      },
      { masterId: 'https://ci.example/master' },
    );
  });
});

describe('the worker password', () => {
  it('is in a Secret owned by the Pod (not in the Pod), which the garbage collector deletes with the Pod', async () => {
    const subject = provider();
    const request = startRequest({ password: 'the-secret-password' });
    const instance = await subject.startInstance(request, { signal });
    const pod = podNamed(instance.name);
    expect(JSON.stringify(pod)).not.toContain('the-secret-password');
    const secret = simulator.secrets('ci').find((candidate) => candidate.metadata.name === instance.name);
    expect(secret?.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: instance.name, uid: pod.metadata.uid },
    ]);
    expect(
      Buffer.from((secret?.data as Record<string, string> | undefined)?.WORKERPASS ?? '', 'base64').toString(),
    ).toBe('the-secret-password');
    // Deleted outside latentci (kubectl delete pod): the Secret goes with it.
    await fetch(`${simulator.url}/api/v1/namespaces/ci/pods/${instance.name}?gracePeriodSeconds=0`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin' },
    });
    await expect
      .poll(() => simulator.secrets('ci').map((candidate) => candidate.metadata.name))
      .not.toContain(instance.name);
    await subject.stopInstance({ request, instance }, { fast: false, signal });
  });
});

describe('start', () => {
  it('deletes a previous Pod of the same name (Buildbot does) and its Secret before creating the new one', async () => {
    const first = provider();
    const request = startRequest();
    const old = await first.startInstance(request, { signal });
    // The master crashed: a new provider starts the same worker.
    const fresh = await provider().startInstance(startRequest(), { signal });
    expect(fresh.id).not.toBe(old.id);
    expect(
      simulator
        .pods('ci')
        .filter((pod) => pod.metadata.name === fresh.name)
        .map((pod) => pod.metadata.uid),
    ).toEqual([fresh.id]);
    const secrets = simulator.secrets('ci').filter((secret) => secret.metadata.name === fresh.name);
    expect(secrets.map((secret) => secret.metadata.ownerReferences?.[0]?.uid)).toEqual([fresh.id]);
    await first.stopInstance({ request, instance: fresh }, { fast: true, signal });
  });

  it('retries 429 (honouring Retry-After) and 500 answers within a call, reporting them as progress', async () => {
    simulator.setFaults({
      errors: [
        { method: 'POST', path: '/pods', status: 429, retryAfterSeconds: 0, times: 2 },
        { method: 'POST', path: '/secrets', status: 500, times: 1 },
      ],
    });
    try {
      const subject = provider();
      const request = startRequest();
      const instance = await subject.startInstance(request, { signal });
      await subject.stopInstance({ request, instance }, { fast: true, signal });
      const retried = simulator.requests().filter((entry) => entry.status === 429 || entry.status === 500);
      expect(retried.map((entry) => `${entry.method} ${entry.status}`)).toEqual(['POST 429', 'POST 429', 'POST 500']);
      expect(request.recorded.progress.filter((progress) => progress.status.includes('retrying'))).toEqual([
        { phase: 'deploy', status: expect.stringMatching(/^create pods: 429 Too many requests.*retrying in 0 ms$/) },
        { phase: 'deploy', status: expect.stringMatching(/^create pods: 429 /) },
        { phase: 'deploy', status: expect.stringMatching(/^create secrets: 500 /) },
      ]);
    } finally {
      simulator.setFaults({});
    }
  });

  it('gives up after requestAttempts with a retryable KubernetesApiError', async () => {
    simulator.setFaults({ errors: [{ method: 'POST', path: '/pods', status: 503 }] });
    try {
      const request = startRequest();
      const error = await provider({ requestAttempts: 3 })
        .startInstance(request, { signal })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(KubernetesApiError);
      expect((error as KubernetesApiError).retryable).toBe(true);
      expect((error as Error).message).toMatch(
        /create pods "buildbot-bot-87de7e" in namespace "ci": 503 ServiceUnavailable/,
      );
      expect(request.recorded.progress.filter((progress) => progress.status.includes('retrying'))).toHaveLength(2);
      await provider().stopInstance({ request }, { fast: true, signal });
    } finally {
      simulator.setFaults({});
    }
  });
});

describe('typed errors', () => {
  it('403: names the verb and the resource the RBAC Role lacks', async () => {
    const error = await provider({}, 'read-only')
      .startInstance(startRequest(), { signal })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KubernetesForbiddenError);
    expect(error).toBeInstanceOf(CannotSubstantiateError);
    expect((error as KubernetesForbiddenError).answer).toMatchObject({ status: 403, verb: 'delete', resource: 'pods' });
    expect((error as Error).message).toMatch(/RBAC does not allow "delete" on "pods" in namespace "ci"/);
  });

  it('401: the credentials are rejected', async () => {
    const error = await provider({}, 'wrong-token')
      .startInstance(startRequest(), { signal })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KubernetesForbiddenError);
    expect((error as Error).message).toMatch(/rejected the credentials \(401 Unauthorized\)/);
  });

  it('404: the namespace does not exist', async () => {
    const error = await provider({ namespace: 'missing' })
      .startInstance(startRequest(), { signal })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KubernetesNamespaceNotFoundError);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/namespace "missing" does not exist/);
  });

  it('422: lists the causes of an invalid Pod', async () => {
    const request = startRequest();
    const error = await provider({ podSpec: { activeDeadlineSeconds: 'soon' }, labels: { team: 'in fra' } })
      .startInstance(request, { signal })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KubernetesInvalidObjectError);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as KubernetesInvalidObjectError).causes.map((cause) => cause.field)).toEqual([
      'spec.activeDeadlineSeconds',
    ]);
    expect((error as Error).message).toMatch(
      /422 Invalid\): spec.activeDeadlineSeconds: Invalid value: must be integer/,
    );
    const labelled = await provider({ labels: { team: 'in fra' } })
      .startInstance(request, { signal })
      .catch((caught: unknown) => caught);
    expect((labelled as KubernetesInvalidObjectError).causes).toEqual([
      expect.objectContaining({
        field: 'metadata.labels',
        reason: 'FieldValueInvalid',
        message: expect.stringContaining('Invalid value: "in fra"'),
      }),
    ]);
    await provider().stopInstance({ request }, { fast: true, signal });
  });

  it('409: a conflict the provider cannot resolve is a retryable KubernetesApiError', async () => {
    simulator.setFaults({ errors: [{ method: 'POST', path: '/secrets', status: 409 }] });
    const request = startRequest();
    try {
      const error = await provider()
        .startInstance(request, { signal })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(KubernetesApiError);
      expect((error as KubernetesApiError).answer).toMatchObject({
        status: 409,
        reason: 'Conflict',
        verb: 'create',
        resource: 'secrets',
      });
    } finally {
      simulator.setFaults({});
      await provider().stopInstance({ request }, { fast: true, signal });
    }
  });
});

describe('health (checkInstance) and start verdicts', () => {
  it('an image that cannot be pulled fails the start as not retryable, naming the image', async () => {
    simulator.setFaults({
      imagePullFailure: 'pull access denied for registry.example/private, repository does not exist',
    });
    const request = startRequest();
    try {
      const error = await provider({ image: 'registry.example/private:1' })
        .startInstance(request, { signal })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(KubernetesImagePullError);
      expect((error as KubernetesImagePullError).retryable).toBe(false);
      expect((error as KubernetesImagePullError).reason).toBe('ErrImagePull');
      expect((error as Error).message).toMatch(
        /cannot pull image "registry.example\/private:1" \(ErrImagePull: pull access denied/,
      );
    } finally {
      simulator.setFaults({});
      await provider().stopInstance({ request }, { fast: true, signal });
    }
  });

  it('an invalid image name is InvalidImageName', async () => {
    const request = startRequest();
    const error = await provider({ image: 'Not A Valid::Image' })
      .startInstance(request, { signal })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KubernetesImagePullError);
    expect((error as KubernetesImagePullError).reason).toBe('InvalidImageName');
    await provider().stopInstance({ request }, { fast: true, signal });
  });

  it("an unschedulable Pod is unhealthy with the scheduler's message", async () => {
    const subject = provider({ nodeSelector: { 'node.example/pool': 'gpu' } });
    const request = startRequest();
    const instance = await subject.startInstance(request, { signal });
    expect(request.recorded.progress.at(-1)?.status).toMatch(/not schedulable/);
    expect(await subject.checkInstance?.(instance, { signal })).toEqual({
      healthy: false,
      message: expect.stringMatching(
        /cannot be scheduled: 0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector/,
      ),
    });
    await subject.stopInstance({ request, instance }, { fast: true, signal });
  });

  it('a running Pod is healthy; one deleted outside latentci is not (both read from the Pod watch, no request per check)', async () => {
    const subject = provider();
    const request = startRequest();
    const started = simulator.requests().length;
    const instance = await subject.startInstance(request, { signal });
    await podWatchEstablished(instance.name, started);
    const requestsBefore = simulator.requests().length;
    expect(await subject.checkInstance?.(instance, { signal })).toEqual({ healthy: true });
    expect(await subject.checkInstance?.(instance, { signal })).toEqual({ healthy: true });
    expect(simulator.requests().slice(requestsBefore)).toEqual([]);
    await fetch(`${simulator.url}/api/v1/namespaces/ci/pods/${instance.name}?gracePeriodSeconds=0`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin' },
    });
    await expect
      .poll(async () => await subject.checkInstance?.(instance, { signal }))
      .toEqual({
        healthy: false,
        message: 'pod ci/buildbot-bot-87de7e does not exist any more (deleted outside latentci?)',
      });
    expect(
      simulator
        .requests()
        .slice(requestsBefore)
        .map((entry) => entry.method),
    ).toEqual(['DELETE']);
    await subject.stopInstance({ request, instance }, { fast: true, signal });
  });

  it('a restarted provider (no watch of the Pod) reads its health with one list', async () => {
    const request = startRequest();
    const started = simulator.requests().length;
    const instance = await provider().startInstance(request, { signal });
    await podWatchEstablished(instance.name, started);
    const restarted = provider();
    const requestsBefore = simulator.requests().length;
    expect(await restarted.checkInstance?.(instance, { signal })).toEqual({ healthy: true });
    expect(
      simulator
        .requests()
        .slice(requestsBefore)
        .map((entry) => `${entry.method} ${entry.path}${entry.query}`),
    ).toEqual([`GET /api/v1/namespaces/ci/pods?fieldSelector=metadata.name%3D${instance.name}`]);
    await restarted.stopInstance({ request, instance }, { fast: true, signal });
  });
});

describe('stop and orphans', () => {
  it('waits, with a watch, for a slowly deleted Pod to be gone (and survives a watch that drops)', async () => {
    const subject = provider();
    const request = startRequest();
    const instance = await subject.startInstance(request, { signal });
    simulator.setFaults({ deletionDelay: 1500, dropWatchesAfter: 300 });
    try {
      const began = Date.now();
      await subject.stopInstance({ request, instance }, { fast: false, signal });
      expect(Date.now() - began).toBeGreaterThanOrEqual(1400);
      expect(simulator.pods('ci').map((pod) => pod.metadata.name)).not.toContain(instance.name);
      expect(request.recorded.progress.filter((progress) => progress.phase === 'delete')).toEqual([]);
    } finally {
      simulator.setFaults({});
    }
  });

  it('lists and reaps only the Pods of the given master (and worker), by label selector', async () => {
    const subject = provider();
    const mine = [
      startRequest({ workerName: 'one', masterId: 'https://ci.example/a' }),
      startRequest({ workerName: 'two', masterId: 'https://ci.example/a' }),
    ];
    const theirs = startRequest({ workerName: 'one', masterId: 'https://ci.example/b' });
    for (const request of [...mine, theirs]) await subject.startInstance(request, { signal });
    const restarted = provider();
    const orphans = await restarted.listOrphans?.({ masterId: 'https://ci.example/a' }, { signal });
    expect(orphans?.map((orphan) => [orphan.workerName, orphan.state]).sort()).toEqual([
      ['one', 'Running'],
      ['two', 'Running'],
    ]);
    expect(
      await restarted.listOrphans?.({ masterId: 'https://ci.example/a', workerName: 'two' }, { signal }),
    ).toHaveLength(1);
    const reaped = await restarted.reapOrphans?.({ masterId: 'https://ci.example/a' }, { signal });
    expect(reaped?.failed).toEqual([]);
    expect(reaped?.removed).toHaveLength(2);
    expect(simulator.pods('ci').map((pod) => pod.metadata.annotations?.[OWNER_LABELS.master])).toEqual([
      'https://ci.example/b',
    ]);
    expect(simulator.secrets('ci').map((secret) => secret.metadata.name)).toEqual([theirs.instanceName]);
    await restarted.reapOrphans?.({ masterId: 'https://ci.example/b' }, { signal });
  });
});

describe("the README's RBAC Role", () => {
  it('grants everything the provider does: start, health, logs, stop, orphans', async () => {
    const subject = provider({}, 'role-token');
    const request = startRequest();
    const instance = await subject.startInstance(request, { signal });
    expect(await subject.checkInstance?.(instance, { signal })).toEqual({ healthy: true });
    expect(await subject.listOrphans?.({ masterId: 'fake:/master' }, { signal })).toHaveLength(1);
    await subject.stopInstance({ request, instance }, { fast: false, signal });
    expect(request.recorded.progress.filter((progress) => progress.phase === 'delete')).toEqual([]);
    expect(simulator.pods('ci').map((pod) => pod.metadata.name)).not.toContain(instance.name);
    expect(
      simulator
        .requests()
        .filter((entry) => entry.user === 'system:serviceaccount:ci:latentci' && entry.status === 403),
    ).toEqual([]);
  });
});
