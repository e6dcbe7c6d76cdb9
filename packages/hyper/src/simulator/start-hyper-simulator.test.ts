import { randomBytes } from 'node:crypto';
import { ensureProbeImage } from '@latentci/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signHyperRequest } from '../signing/sign-hyper-request.js';
import { signedFetch } from '../test-support/signed-fetch.js';
import { type HyperSimulator, startHyperSimulator } from './start-hyper-simulator.js';

const ACCESS_KEY = 'SIMULATORTESTACCESSKEY';
const SECRET_KEY = 'simulator-test-secret-key-0123456789';
const keys = { accessKey: ACCESS_KEY, secretKey: SECRET_KEY };
const unique = randomBytes(3).toString('hex');

let simulator: HyperSimulator;
let image: string;

beforeAll(async () => {
  image = await ensureProbeImage();
  simulator = await startHyperSimulator({ credentials: { [ACCESS_KEY]: SECRET_KEY } });
});

afterAll(async () => {
  await simulator?.close();
});

function createBody(extra: Record<string, unknown> = {}, size: string | null = 's1'): string {
  return JSON.stringify({
    Image: image,
    Entrypoint: ['/bin/sh', '-c', 'echo "worker=$WORKERNAME"; exec sleep 300'],
    Env: ['WORKERNAME=simulated'],
    Labels: size === null ? {} : { sh_hyper_instancetype: size },
    ...extra,
  });
}

describe('the Hyper simulator verifies every request like Hyper did', () => {
  it('answers a correctly signed request', async () => {
    const response = await signedFetch(simulator.url, 'GET', '/v1.23/version', keys);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toMatchObject({ ApiVersion: '1.23' });
    expect(simulator.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/v1.23/version',
      accessKey: ACCESS_KEY,
      hostRule: 'exact',
      status: 200,
    });
  });

  it.each([
    ['a wrong secret key', { ...keys, secretKey: 'not-the-secret' }, 'signature-mismatch'],
    ['an unknown access key', { accessKey: 'NOBODY', secretKey: SECRET_KEY }, 'unknown-access-key'],
    ['a date older than 5 minutes', { ...keys, date: new Date(Date.now() - 6 * 60_000) }, 'expired'],
    ['a date more than 5 minutes ahead', { ...keys, date: new Date(Date.now() + 6 * 60_000) }, 'future-date'],
    ['a body changed after signing', { ...keys, body: '{"a":1}', sentBody: '{"a":2}' }, 'payload-mismatch'],
    ['another region', { ...keys, region: 'eu-central-1' }, 'signature-mismatch'],
  ] as const)('rejects a request signed with %s: 401 plain text', async (_name, options, failure) => {
    const before = simulator.rejections.length;
    const response = await signedFetch(simulator.url, 'POST', '/v1.23/containers/json', options);
    expect(response.status).toBe(401);
    expect(response.contentType).toBe('text/plain; charset=utf-8');
    expect(response.text).toMatch(/^Unauthorized: .+\n$/);
    expect(response.text).not.toContain(SECRET_KEY);
    expect(simulator.rejections.slice(before)).toMatchObject([{ failure }]);
  });

  it('rejects a request without an Authorization header', async () => {
    const response = await fetch(`${simulator.url}/v1.23/version`);
    expect(response.status).toBe(401);
    expect(simulator.rejections.at(-1)?.failure).toBe('missing-authorization');
  });

  it('accepts a Python-style signature whose host lost its port, and says so in the log', async () => {
    const url = new URL(simulator.url);
    // Signed for the host without its port, then sent to the real port:
    const signed = signHyperRequest({ method: 'GET', url: `http://${url.hostname}/v1.23/version`, ...keys });
    const direct = await fetch(`${simulator.url}/v1.23/version`, { headers: { ...signed } });
    expect(direct.status).toBe(200);
    expect(simulator.requests.at(-1)?.hostRule).toBe('port-stripped');
  });

  it('refuses API versions newer than 1.23 and accepts unversioned paths', async () => {
    const newer = await signedFetch(simulator.url, 'GET', '/v1.24/version', keys);
    expect(newer.status).toBe(400);
    expect(newer.text).toBe('client is newer than server (client API version: 1.24, server API version: 1.23)\n');
    expect((await signedFetch(simulator.url, 'GET', '/version', keys)).status).toBe(200);
  });
});

describe('the Hyper simulator runs containers on the real engine', () => {
  it('creates, starts, inspects, lists, logs, stops, waits for and removes a container', async () => {
    const name = `hsim-life-${unique}`;
    const created = await signedFetch(simulator.url, 'POST', `/v1.23/containers/create?name=${name}`, {
      ...keys,
      body: createBody(),
    });
    expect(created.status).toBe(201);
    const { Id: id, Warnings } = JSON.parse(created.text) as { Id: string; Warnings: unknown };
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(Warnings).toEqual([]);

    expect((await signedFetch(simulator.url, 'POST', `/v1.23/containers/${id}/start`, keys)).status).toBe(204);
    expect((await signedFetch(simulator.url, 'POST', `/v1.23/containers/${name}/start`, keys)).status).toBe(304);

    const inspected = JSON.parse(
      (await signedFetch(simulator.url, 'GET', `/v1.23/containers/${id.slice(0, 12)}/json`, keys)).text,
    );
    expect(inspected).toMatchObject({ Id: id, Name: `/${name}`, State: { Running: true } });
    expect(inspected.Config.Labels).toMatchObject({ sh_hyper_instancetype: 's1', 'sh.hyper.fip': '' });

    const filters = encodeURIComponent(JSON.stringify({ name: [name] }));
    const listed = JSON.parse(
      (await signedFetch(simulator.url, 'GET', `/v1.23/containers/json?all=1&filters=${filters}`, keys)).text,
    );
    expect(listed).toMatchObject([{ Id: id, Names: [`/${name}`], Labels: { sh_hyper_instancetype: 's1' } }]);

    expect((await simulator.containers()).find((container) => container.id === id)).toMatchObject({
      name,
      state: 'running',
    });

    expect((await signedFetch(simulator.url, 'POST', `/v1.23/containers/${id}/stop?t=1`, keys)).status).toBe(204);
    expect((await signedFetch(simulator.url, 'POST', `/v1.23/containers/${id}/stop?t=1`, keys)).status).toBe(304);
    const waited = await signedFetch(simulator.url, 'POST', `/v1.23/containers/${id}/wait`, keys);
    expect(JSON.parse(waited.text)).toEqual({ StatusCode: 137 });

    const logs = await fetchLogs(id);
    expect(logs).toContain('worker=simulated');

    const removed = await signedFetch(
      simulator.url,
      'DELETE',
      `/v1.23/containers/${id}?v=True&link=False&force=True`,
      keys,
    );
    expect(removed.status).toBe(204);
    const gone = await signedFetch(simulator.url, 'GET', `/v1.23/containers/${id}/json`, keys);
    expect(gone).toMatchObject({ status: 404, text: `No such container: ${id}\n` });
  });

  it('streams the logs of a running container with follow=1', async () => {
    const name = `hsim-follow-${unique}`;
    const body = createBody({ Entrypoint: ['/bin/sh', '-c', 'echo first; sleep 1; echo second-line; exec sleep 300'] });
    const created = await signedFetch(simulator.url, 'POST', `/v1.23/containers/create?name=${name}`, {
      ...keys,
      body,
    });
    const { Id: id } = JSON.parse(created.text) as { Id: string };
    expect((await signedFetch(simulator.url, 'POST', `/v1.23/containers/${id}/start`, keys)).status).toBe(204);
    const url = `${simulator.url}/v1.23/containers/${id}/logs?stdout=1&stderr=1&follow=1`;
    const response = await fetch(url, { headers: { ...signHyperRequest({ method: 'GET', url, ...keys }) } });
    expect(response.headers.get('content-type')).toBe('application/vnd.docker.raw-stream');
    const reader = response.body?.getReader();
    let seen = '';
    while (reader && !seen.includes('second-line')) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += Buffer.from(value).toString('latin1');
    }
    await reader?.cancel();
    expect(seen).toContain('first');
    expect(seen).toContain('second-line');
    await signedFetch(simulator.url, 'DELETE', `/v1.23/containers/${id}?v=1&force=1`, keys);
  });

  it("emulates Hyper's prefix name filter: hyper1 also lists hyper10", async () => {
    const short = `hsim-pre-${unique}`;
    const long = `${short}0`;
    for (const name of [short, long]) {
      const response = await signedFetch(simulator.url, 'POST', `/v1.23/containers/create?name=${name}`, {
        ...keys,
        body: createBody(),
      });
      expect(response.status).toBe(201);
    }
    const filters = encodeURIComponent(JSON.stringify({ name: [short] }));
    const listed = JSON.parse(
      (await signedFetch(simulator.url, 'GET', `/v1.23/containers/json?all=1&filters=${filters}`, keys)).text,
    ) as { Names: string[] }[];
    expect(listed.map((container) => container.Names[0]).sort()).toEqual([`/${short}`, `/${long}`]);
    for (const name of [short, long]) {
      expect(await signedFetch(simulator.url, 'DELETE', `/v1.23/containers/${name}?force=1`, keys)).toMatchObject({
        status: 200,
        text: '[]\n',
      });
    }
  });

  it('refuses a second container with the same name: 409 Conflict', async () => {
    const name = `hsim-dup-${unique}`;
    expect(
      (
        await signedFetch(simulator.url, 'POST', `/v1.23/containers/create?name=${name}`, {
          ...keys,
          body: createBody(),
        })
      ).status,
    ).toBe(201);
    const second = await signedFetch(simulator.url, 'POST', `/v1.23/containers/create?name=${name}`, {
      ...keys,
      body: createBody(),
    });
    expect(second.status).toBe(409);
    expect(second.text).toContain('Conflict');
    expect(second.text).toContain(`"/${name}"`);
    expect(second.text).not.toContain('hypersim-');
    await signedFetch(simulator.url, 'DELETE', `/v1.23/containers/${name}?v=1&force=1`, keys);
  });

  it('enforces the size label: required and one of s1…l3', async () => {
    const missing = await signedFetch(simulator.url, 'POST', `/v1.23/containers/create?name=hsim-nosize-${unique}`, {
      ...keys,
      body: createBody({}, null),
    });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('sh_hyper_instancetype');
    const wrong = await signedFetch(simulator.url, 'POST', `/v1.23/containers/create?name=hsim-big-${unique}`, {
      ...keys,
      body: createBody({}, 'big'),
    });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('invalid container size big');
  });

  it('answers like Hyper for an unknown image, an empty config and an unknown path', async () => {
    const unknown = await signedFetch(simulator.url, 'POST', `/v1.23/containers/create?name=hsim-img-${unique}`, {
      ...keys,
      body: createBody({ Image: 'latentci-no-such-image' }),
    });
    expect(unknown).toMatchObject({ status: 404, text: 'No such image: latentci-no-such-image:latest\n' });
    const empty = await signedFetch(simulator.url, 'POST', '/v1.23/containers/create', { ...keys, body: '{}' });
    expect(empty).toMatchObject({ status: 500, text: 'Config cannot be empty in order to create a container\n' });
    expect((await signedFetch(simulator.url, 'GET', '/v1.23/nothing/here', keys)).status).toBe(404);
  });

  it('sees only its own containers', async () => {
    const other = await startHyperSimulator({ credentials: { [ACCESS_KEY]: SECRET_KEY } });
    try {
      const name = `hsim-own-${unique}`;
      expect(
        (await signedFetch(other.url, 'POST', `/v1.23/containers/create?name=${name}`, { ...keys, body: createBody() }))
          .status,
      ).toBe(201);
      expect((await signedFetch(simulator.url, 'GET', `/v1.23/containers/${name}/json`, keys)).status).toBe(404);
      expect(await other.containers()).toMatchObject([{ name }]);
    } finally {
      await other.close();
    }
    expect(await other.containers()).toEqual([]);
  });
});

describe('the Hyper simulator injects faults', () => {
  it('answers an injected 503 the given number of times, after verifying the request', async () => {
    simulator.setFaults({ errors: [{ status: 503, method: 'GET', path: '/version', times: 1 }] });
    try {
      const failed = await signedFetch(simulator.url, 'GET', '/v1.23/version', keys);
      expect(failed).toMatchObject({ status: 503, text: 'Service Unavailable\n' });
      expect((await signedFetch(simulator.url, 'GET', '/v1.23/version', keys)).status).toBe(200);
    } finally {
      simulator.setFaults({});
    }
  });

  it("skews the server's clock so that a correctly signed request looks expired", async () => {
    simulator.setFaults({ clockSkewMs: 10 * 60_000 });
    try {
      const response = await signedFetch(simulator.url, 'GET', '/v1.23/version', keys);
      expect(response.status).toBe(401);
      expect(simulator.rejections.at(-1)?.failure).toBe('expired');
    } finally {
      simulator.setFaults({});
    }
  });
});

describe('strict mode', () => {
  it('makes assertAllVerified and close fail after a rejected request, listing it', async () => {
    const strict = await startHyperSimulator({ credentials: { [ACCESS_KEY]: SECRET_KEY }, strict: true });
    strict.assertAllVerified();
    await signedFetch(strict.url, 'GET', '/v1.23/version', { ...keys, secretKey: 'wrong' });
    expect(() => strict.assertAllVerified()).toThrow(
      /rejected 1 request\(s\)[\s\S]*GET \/v1.23\/version: Unauthorized: signature does not match/,
    );
    await expect(strict.close()).rejects.toThrow(/rejected 1 request/);
  });
});

async function fetchLogs(id: string): Promise<string> {
  const response = await signedFetch(simulator.url, 'GET', `/v1.23/containers/${id}/logs?stdout=1&stderr=1`, keys);
  return response.text;
}
