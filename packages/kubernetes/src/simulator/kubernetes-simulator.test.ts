import { importBusyboxImage } from '@latentci/docker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker as engine } from '../test-support/docker.js';
import { type KubernetesSimulator, startKubernetesSimulator } from './kubernetes-simulator.js';

// The simulator's API as any client sees it (plain HTTP requests): the answers kubectl and the
// official client rely on. The Kubernetes API reference is the spec for codes, reasons and bodies.
let simulator: KubernetesSimulator;

beforeAll(async () => {
  simulator = await startKubernetesSimulator({
    runtime: 'virtual',
    watchHistory: 50,
    auth: {
      tokens: {
        admin: { name: 'admin' },
        viewer: { name: 'jane', rules: [{ verbs: ['get', 'list'], resources: ['pods'] }] },
      },
    },
  });
});
afterAll(async () => {
  await simulator.close();
});

async function api(method: string, path: string, body?: unknown, token = 'admin') {
  const response = await fetch(`${simulator.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

const pod = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'main', image: 'busybox:1' }], restartPolicy: 'Never' },
});

/** Reads a watch stream until `count` events arrived (or it ends). */
async function watchEvents(
  path: string,
  count: number,
): Promise<{ type: string; object: { metadata?: { name?: string }; code?: number; reason?: string } }[]> {
  const controller = new AbortController();
  const response = await fetch(`${simulator.url}${path}`, {
    headers: { authorization: 'Bearer admin' },
    signal: controller.signal,
  });
  const events: { type: string; object: never }[] = [];
  let buffer = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) events.push(JSON.parse(line));
      if (events.length >= count) break;
    }
  } finally {
    controller.abort();
  }
  return events;
}

describe('pods', () => {
  it('create answers 201 with uid, resourceVersion and Pending status; a second create is 409 AlreadyExists', async () => {
    const created = await api('POST', '/api/v1/namespaces/default/pods', pod('alpha'));
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({
      name: 'alpha',
      namespace: 'default',
      uid: expect.any(String),
      resourceVersion: expect.any(String),
    });
    expect(created.body.status.phase).toBe('Pending');
    expect(created.body.spec).toMatchObject({ terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst' });
    const again = await api('POST', '/api/v1/namespaces/default/pods', pod('alpha'));
    expect(again).toEqual({
      status: 409,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'pods "alpha" already exists',
        reason: 'AlreadyExists',
        details: { name: 'alpha', kind: 'pods' },
        code: 409,
      },
    });
    await expect
      .poll(async () => (await api('GET', '/api/v1/namespaces/default/pods/alpha')).body.status.phase)
      .toBe('Running');
    await api('DELETE', '/api/v1/namespaces/default/pods/alpha?gracePeriodSeconds=0');
  });

  it('create of an invalid pod is 422 Invalid with the causes, from the OpenAPI schema and the field rules', async () => {
    const invalidPod = pod('Bad_Name');
    (invalidPod.spec.containers[0] as Record<string, unknown>).image = 42;
    const schema = await api('POST', '/api/v1/namespaces/default/pods', invalidPod);
    expect(schema.status).toBe(422);
    expect(schema.body).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      code: 422,
      details: {
        name: 'Bad_Name',
        kind: 'Pod',
        causes: [
          { reason: 'FieldValueInvalid', message: 'Invalid value: must be string', field: 'spec.containers[0].image' },
          expect.objectContaining({ reason: 'FieldValueInvalid', field: 'metadata.name' }),
        ],
      },
    });
    const names = await api('POST', '/api/v1/namespaces/default/pods', pod('Bad_Name', { 'bad key!': 'x' }));
    expect(names.body.message).toMatch(
      /^Pod "Bad_Name" is invalid: \[metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
    expect(names.body.details.causes.map((cause: { field: string }) => cause.field)).toEqual([
      'metadata.name',
      'metadata.labels',
    ]);
    const missing = await api('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'empty' }, spec: {} });
    expect(missing.body.details.causes).toEqual([
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' },
    ]);
  });

  it('get of a missing pod is 404 NotFound; a create in a missing namespace is 404 for the namespace', async () => {
    expect((await api('GET', '/api/v1/namespaces/default/pods/nothing')).body).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'pods "nothing" not found',
    });
    expect((await api('POST', '/api/v1/namespaces/nowhere/pods', pod('x'))).body).toMatchObject({
      code: 404,
      message: 'namespaces "nowhere" not found',
      details: { name: 'nowhere', kind: 'namespaces' },
    });
  });

  it('list filters by label selector (equality and set-based) and field selector', async () => {
    await api('POST', '/api/v1/namespaces/default/pods', pod('one', { app: 'ci', tier: 'a' }));
    await api('POST', '/api/v1/namespaces/default/pods', pod('two', { app: 'ci', tier: 'b' }));
    await api('POST', '/api/v1/namespaces/default/pods', pod('three', { app: 'web' }));
    const names = async (query: string) =>
      (await api('GET', `/api/v1/namespaces/default/pods?${query}`)).body.items
        .map((item: { metadata: { name: string } }) => item.metadata.name)
        .sort();
    expect(await names('labelSelector=app%3Dci')).toEqual(['one', 'two']);
    expect(await names('labelSelector=app%3Dci%2Ctier!%3Da')).toEqual(['two']);
    expect(await names('labelSelector=tier%20in%20(a%2Cb)')).toEqual(['one', 'two']);
    expect(await names('labelSelector=!tier')).toEqual(['three']);
    expect(await names('fieldSelector=metadata.name%3Dthree')).toEqual(['three']);
    expect((await api('GET', '/api/v1/namespaces/default/pods?fieldSelector=spec.image%3Dx')).status).toBe(400);
    const list = await api('GET', '/api/v1/pods');
    expect(list.body).toMatchObject({
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: { resourceVersion: expect.any(String) },
    });
    for (const name of ['one', 'two', 'three'])
      await api('DELETE', `/api/v1/namespaces/default/pods/${name}?gracePeriodSeconds=0`);
  });

  it('delete with a grace period sets deletionTimestamp (Terminating) before the pod is gone; its owned secrets go with it', async () => {
    simulator.setFaults({ deletionDelay: 300 });
    try {
      const created = await api('POST', '/api/v1/namespaces/default/pods', pod('graceful'));
      await api('POST', '/api/v1/namespaces/default/secrets', {
        metadata: {
          name: 'graceful',
          ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'graceful', uid: created.body.metadata.uid }],
        },
        stringData: { token: 'x' },
      });
      const deleted = await api('DELETE', '/api/v1/namespaces/default/pods/graceful', { gracePeriodSeconds: 5 });
      expect(deleted.status).toBe(200);
      expect(deleted.body.metadata).toMatchObject({
        deletionTimestamp: expect.any(String),
        deletionGracePeriodSeconds: 5,
      });
      await expect.poll(async () => (await api('GET', '/api/v1/namespaces/default/pods/graceful')).status).toBe(404);
      expect((await api('GET', '/api/v1/namespaces/default/secrets/graceful')).status).toBe(404);
    } finally {
      simulator.setFaults({});
    }
  });
});

describe('watch', () => {
  it('from a resourceVersion replays the changes after it, then follows', async () => {
    const list = await api('GET', '/api/v1/namespaces/default/pods');
    await api('POST', '/api/v1/namespaces/default/pods', pod('watched'));
    const events = await watchEvents(
      `/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3Dwatched&resourceVersion=${list.body.metadata.resourceVersion}`,
      3,
    );
    expect(events.map((event) => event.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED']);
    expect(events.every((event) => event.object.metadata?.name === 'watched')).toBe(true);
    const deletion = watchEvents('/api/v1/namespaces/default/pods?watch=1&fieldSelector=metadata.name%3Dwatched', 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await api('DELETE', '/api/v1/namespaces/default/pods/watched?gracePeriodSeconds=0');
    expect((await deletion).map((event) => event.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('from a resourceVersion older than the history is an ERROR event with 410 Expired', async () => {
    for (let index = 0; index < 30; index += 1) {
      await api('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: `churn-${index}` }, data: {} });
      await api('DELETE', `/api/v1/namespaces/default/secrets/churn-${index}`);
    }
    const [event] = await watchEvents('/api/v1/namespaces/default/pods?watch=true&resourceVersion=2', 1);
    expect(event).toMatchObject({
      type: 'ERROR',
      object: {
        kind: 'Status',
        code: 410,
        reason: 'Expired',
        message: expect.stringMatching(/^too old resource version: 2 \(\d+\)$/),
      },
    });
  });
});

describe('authentication and RBAC', () => {
  it('no or unknown credentials: 401 Unauthorized', async () => {
    const response = await fetch(`${simulator.url}/api/v1/namespaces/default/pods`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await api('GET', '/api/v1/namespaces/default/pods', undefined, 'forged')).status).toBe(401);
  });

  it('a token without the rights: 403 Forbidden naming the user, the verb and the resource', async () => {
    expect((await api('GET', '/api/v1/namespaces/default/pods', undefined, 'viewer')).status).toBe(200);
    const forbidden = await api('POST', '/api/v1/namespaces/default/pods', pod('x'), 'viewer');
    expect(forbidden.body).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message:
        'pods is forbidden: User "jane" cannot create resource "pods" in API group "" in the namespace "default"',
    });
    const log = await api('GET', '/api/v1/namespaces/default/pods/x/log', undefined, 'viewer');
    expect(log.body.message).toBe(
      'pods "x" is forbidden: User "jane" cannot get resource "pods/log" in API group "" in the namespace "default"',
    );
  });

  it('serves the discovery a kubectl-style client starts with', async () => {
    expect((await api('GET', '/version')).body).toMatchObject({
      major: '1',
      gitVersion: expect.stringMatching(/^v1\./),
    });
    expect((await api('GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
  });
});

describe('faults', () => {
  it('injected 429 bursts carry Retry-After, then requests are served again', async () => {
    simulator.setFaults({ errors: [{ status: 429, retryAfterSeconds: 2, times: 2 }] });
    try {
      const first = await fetch(`${simulator.url}/api/v1/namespaces/default/pods`, {
        headers: { authorization: 'Bearer admin' },
      });
      expect(first.status).toBe(429);
      expect(first.headers.get('retry-after')).toBe('2');
      expect(await first.json()).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 2 } });
      expect((await api('GET', '/api/v1/namespaces/default/pods')).status).toBe(429);
      expect((await api('GET', '/api/v1/namespaces/default/pods')).status).toBe(200);
    } finally {
      simulator.setFaults({});
    }
  });

  it('unschedulable: PodScheduled False with the scheduler message; image pull failure: ErrImagePull then ImagePullBackOff', async () => {
    simulator.setFaults({
      unschedulable: (candidate) =>
        candidate.name === 'big' ? '0/1 nodes are available: 1 Insufficient cpu.' : undefined,
      imagePullFailure: (candidate) => (candidate.name === 'private' ? 'pull access denied' : undefined),
    });
    try {
      await api('POST', '/api/v1/namespaces/default/pods', pod('big'));
      await api('POST', '/api/v1/namespaces/default/pods', pod('private'));
      await expect
        .poll(async () => (await api('GET', '/api/v1/namespaces/default/pods/big')).body.status.conditions)
        .toEqual([
          expect.objectContaining({
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/1 nodes are available: 1 Insufficient cpu.',
          }),
        ]);
      await expect
        .poll(
          async () =>
            (await api('GET', '/api/v1/namespaces/default/pods/private')).body.status.containerStatuses?.[0]?.state,
        )
        .toEqual({ waiting: { reason: 'ErrImagePull', message: 'pull access denied' } });
      await expect
        .poll(
          async () =>
            (await api('GET', '/api/v1/namespaces/default/pods/private')).body.status.containerStatuses?.[0]?.state,
          { timeout: 5000 },
        )
        .toEqual({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "busybox:1"' } });
      const log = await api('GET', '/api/v1/namespaces/default/pods/private/log');
      expect(log.body).toMatchObject({
        code: 400,
        message: 'container "main" in pod "private" is waiting to start: trying and failing to pull image',
      });
    } finally {
      simulator.setFaults({});
      await api('DELETE', '/api/v1/namespaces/default/pods/big?gracePeriodSeconds=0');
      await api('DELETE', '/api/v1/namespaces/default/pods/private?gracePeriodSeconds=0');
    }
  });
});

describe('the docker runtime', () => {
  let docker: KubernetesSimulator;
  let image: string;
  beforeAll(async () => {
    image = await importBusyboxImage({ docker: engine, tag: 'latentci-kubernetes-test-busybox:1' });
    docker = await startKubernetesSimulator({ runtime: 'docker' });
  });
  afterAll(async () => {
    await docker.close();
  });
  const dockerApi = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${docker.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return text.startsWith('{') ? JSON.parse(text) : text;
  };

  it("runs the first container; the pod's phase and container state follow it, its log is served (with the secret resolved)", async () => {
    await dockerApi('POST', '/api/v1/namespaces/default/secrets', {
      metadata: { name: 'greeting' },
      stringData: { word: 'hello-from-secret' },
    });
    await dockerApi('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'short' },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'main',
            image,
            command: ['/bin/sh', '-c'],
            args: ['echo "$WORD"; sleep 1; exit 3'],
            env: [{ name: 'WORD', valueFrom: { secretKeyRef: { name: 'greeting', key: 'word' } } }],
          },
        ],
      },
    });
    await expect
      .poll(async () => (await dockerApi('GET', '/api/v1/namespaces/default/pods/short')).status.phase, {
        timeout: 20_000,
      })
      .toBe('Failed');
    const status = (await dockerApi('GET', '/api/v1/namespaces/default/pods/short')).status;
    expect(status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(await dockerApi('GET', '/api/v1/namespaces/default/pods/short/log?tailLines=10')).toBe(
      'hello-from-secret\n',
    );
    await dockerApi('DELETE', '/api/v1/namespaces/default/pods/short?gracePeriodSeconds=0');
  });

  it('an image missing on the engine is ErrImagePull (nothing is pulled)', async () => {
    await dockerApi('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'missing-image' },
      spec: { containers: [{ name: 'main', image: 'latentci-kubernetes-missing:1' }] },
    });
    await expect
      .poll(
        async () =>
          (await dockerApi('GET', '/api/v1/namespaces/default/pods/missing-image')).status.containerStatuses?.[0]?.state
            ?.waiting?.reason,
      )
      .toMatch(/^(ErrImagePull|ImagePullBackOff)$/);
    await dockerApi('DELETE', '/api/v1/namespaces/default/pods/missing-image?gracePeriodSeconds=0');
  });
});
