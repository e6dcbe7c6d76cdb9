import { randomBytes } from 'node:crypto';
import { CannotSubstantiateError, ConfigurationError, type LogLevel } from '@latentci/core';
import { type AttachServer, ensureProbeImage, startAttachServer } from '@latentci/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HyperApiError,
  HyperAuthenticationError,
  HyperClockSkewError,
  HyperPayloadRejectedError,
  ImageNotFoundError,
} from './errors.js';
import { createHyperProvider, type HyperInstance } from './hyper-provider.js';
import type { HyperProviderSettings } from './settings.js';
import { type HyperSimulator, startHyperSimulator } from './simulator/start-hyper-simulator.js';
import { signedFetch } from './test-support/signed-fetch.js';
import { testStartRequest } from './test-support/start-request.js';

const ACCESS_KEY = 'PROVIDERTESTACCESSKEY';
const SECRET_KEY = 'provider-test-secret-key-abcdefghij';
const unique = randomBytes(3).toString('hex');
const signal = new AbortController().signal;

let probeImage: string;
let attach: AttachServer;
/** Strict: every request the provider sends must verify. */
let simulator: HyperSimulator;
/** For the tests that send bad signatures on purpose. */
let lenient: HyperSimulator;
const logs: { level: LogLevel; message: string; fields?: unknown }[] = [];

function settings(overrides: Partial<HyperProviderSettings> = {}): HyperProviderSettings {
  return {
    hyperHost: simulator.url,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    image: probeImage,
    logger: { log: (level, message, fields) => logs.push({ level, message, fields }) },
    ...overrides,
  };
}

beforeAll(async () => {
  probeImage = await ensureProbeImage();
  attach = await startAttachServer();
  simulator = await startHyperSimulator({ credentials: { [ACCESS_KEY]: SECRET_KEY }, strict: true });
  lenient = await startHyperSimulator({ credentials: { [ACCESS_KEY]: SECRET_KEY } });
});

afterAll(async () => {
  await attach?.close();
  await lenient?.close();
  await simulator?.close(); // strict: fails if any request of the provider did not verify
  expect(JSON.stringify(logs)).not.toContain(SECRET_KEY);
});

function requestsSince(index: number): string[] {
  return simulator.requests
    .slice(index)
    .map(
      (request) => `${request.method} ${request.path}${request.query ? `?${decodeURIComponent(request.query)}` : ''}`,
    );
}

describe('createHyperProvider', () => {
  it('validates the settings without sending anything', () => {
    const before = simulator.requests.length;
    const provider = createHyperProvider(settings());
    expect(provider).toMatchObject({
      specificationVersion: 'v1',
      provider: 'hyper',
      capabilities: { healthCheck: true, perBuildSettings: true, orphanReaping: true, startupLogs: true },
    });
    expect(simulator.requests.length).toBe(before);
  });

  it("refuses a size outside s1…l3 with Buildbot's message", () => {
    expect(() => createHyperProvider(settings({ size: 'big' }))).toThrow(ConfigurationError);
    expect(() => createHyperProvider(settings({ size: 'big' }))).toThrow(
      "Size is not valid 'big' vs ['s1', 's2', 's3', 's4', 'm1', 'm2', 'm3', 'l1', 'l2', 'l3']",
    );
  });

  it('reads the keys from HYPER_ACCESSKEY and HYPER_SECRETKEY, and says which is missing', async () => {
    const { accessKey: _a, secretKey: _s, ...rest } = settings();
    const provider = createHyperProvider({
      ...rest,
      env: { HYPER_ACCESSKEY: ACCESS_KEY, HYPER_SECRETKEY: SECRET_KEY },
    });
    await expect(provider.renderStartSettings?.(testStartRequest({ workerName: 'x' }).properties)).resolves.toEqual({
      image: probeImage,
      size: 's3',
    });
    expect(() => createHyperProvider({ ...rest, env: {} })).toThrow('pass accessKey or set HYPER_ACCESSKEY');
    expect(() => createHyperProvider({ ...rest, env: { HYPER_ACCESSKEY: 'a' } })).toThrow(
      'pass secretKey or set HYPER_SECRETKEY',
    );
  });

  it('refuses a hyperHost it cannot use', () => {
    expect(() => createHyperProvider(settings({ hyperHost: 'ftp://x' }))).toThrow(ConfigurationError);
    expect(() => createHyperProvider(settings({ hyperHost: '' }))).toThrow('hyperHost is required');
  });
});

describe('the Hyper provider on the simulator and the real engine', () => {
  it('starts a container whose worker attaches with the environment contract, then stops and removes it in Buildbot order', async () => {
    const workerName = `hyper_life_${unique}`;
    const request = testStartRequest({ workerName, master: { host: attach.host, port: attach.port } });
    attach.expectWorker(workerName, request.password);
    const provider = createHyperProvider(settings({ size: 'm1' }));
    const before = simulator.requests.length;
    const instance = await provider.startInstance(request, { signal });
    try {
      expect(instance).toMatchObject({
        name: `buildbot-hyper-life-${unique}-${request.owner.masterHash}`,
        image: probeImage,
        size: 'm1',
      });
      const record = await attach.waitForAttach(workerName, { timeoutMs: 60_000 });
      expect(record).toMatchObject({ accepted: true, passwordMatched: true });
      expect(record.environment).toMatchObject({
        BUILDMASTER: attach.host,
        BUILDMASTER_PORT: String(attach.port),
        BUILDMASTER_PROTOCOL: 'pb',
        WORKERNAME: workerName,
      });
      const [container] = (await simulator.containers()).filter((c) => c.id === instance.id);
      expect(container?.labels).toMatchObject({
        sh_hyper_instancetype: 'm1',
        'sh.hyper.fip': '',
        'io.latentci.managed': 'true',
        'io.latentci.master': request.owner.masterId,
        'io.latentci.worker': workerName,
      });
      await expect(provider.checkInstance?.(instance, { signal })).resolves.toEqual({ healthy: true });
    } finally {
      await provider.stopInstance({ request, instance }, { fast: false, signal });
    }
    expect((await simulator.containers()).some((c) => c.id === instance.id)).toBe(false);
    const sent = requestsSince(before);
    // The output follower runs beside the calls (startupLogs).
    expect(sent.filter((line) => line.includes('/logs'))).toEqual([
      `GET /v1.23/containers/${instance.id}/logs?stdout=1&stderr=1&follow=1`,
    ]);
    expect(sent.filter((line) => !line.includes('/logs'))).toEqual([
      `GET /v1.23/containers/json?all=1&filters={"name":["${instance.name}"]}`,
      `POST /v1.23/containers/create?name=${instance.name}`,
      `POST /v1.23/containers/${instance.id}/start`,
      `GET /v1.23/containers/${instance.id}/json`,
      `POST /v1.23/containers/${instance.id}/stop?t=10`,
      `POST /v1.23/containers/${instance.id}/wait`,
      `DELETE /v1.23/containers/${instance.id}?v=1&force=1`,
    ]);
    expect(simulator.requests.slice(before).every((r) => r.hostRule === 'exact')).toBe(true);
  });

  it('removes an old container with exactly the same name, and leaves one whose name only starts with it', async () => {
    const request = testStartRequest({ workerName: `hyper-same-${unique}` });
    const name = request.instanceName;
    const keys = { accessKey: ACCESS_KEY, secretKey: SECRET_KEY };
    const ids: string[] = [];
    for (const existing of [name, `${name}0`]) {
      const body = JSON.stringify({ Image: probeImage, Labels: { sh_hyper_instancetype: 's1' } });
      const created = await signedFetch(simulator.url, 'POST', `/v1.23/containers/create?name=${existing}`, {
        ...keys,
        body,
      });
      ids.push((JSON.parse(created.text) as { Id: string }).Id);
    }
    const provider = createHyperProvider(settings());
    const instance = await provider.startInstance(request, { signal });
    try {
      const names = (await simulator.containers()).map((c) => c.name);
      expect(names).toContain(name);
      expect(names).toContain(`${name}0`);
      const ours = (await simulator.containers()).filter((c) => c.name === name);
      expect(ours.map((c) => c.id)).toEqual([instance.id]);
      expect(instance.id).not.toBe(ids[0]);
    } finally {
      await provider.stopInstance({ request, instance }, { fast: true, signal });
      await signedFetch(simulator.url, 'DELETE', `/v1.23/containers/${ids[1]}?v=1&force=1`, keys);
    }
  });

  it('stop without an instance (a failed or aborted start) removes the container by its exact name', async () => {
    const request = testStartRequest({ workerName: `hyper-abort-${unique}` });
    const provider = createHyperProvider(settings());
    await provider.startInstance(request, { signal });
    await provider.stopInstance({ request }, { fast: false, signal });
    expect((await simulator.containers()).some((c) => c.name === request.instanceName)).toBe(false);
  });

  it('stop of a container deleted behind its back succeeds and warns', async () => {
    const request = testStartRequest({ workerName: `hyper-gone-${unique}` });
    const provider = createHyperProvider(settings());
    const instance = await provider.startInstance(request, { signal });
    await signedFetch(simulator.url, 'DELETE', `/v1.23/containers/${instance.id}?v=1&force=1`, {
      accessKey: ACCESS_KEY,
      secretKey: SECRET_KEY,
    });
    await provider.stopInstance({ request, instance }, { fast: false, signal });
    expect(logs.some((log) => log.level === 'warn' && log.message.endsWith(': container was already deleted!'))).toBe(
      true,
    );
  });

  it('reports a container that exited as unhealthy, with its exit code and its last log lines', async () => {
    const request = testStartRequest({
      workerName: `hyper-crash-${unique}`,
      extraEnvironment: { PROBE_EXIT_BEFORE_ATTACH: 'probe crashed on purpose' },
    });
    const provider = createHyperProvider(settings());
    const instance = await provider.startInstance(request, { signal });
    try {
      let health = await provider.checkInstance?.(instance, { signal });
      while (health?.healthy) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        health = await provider.checkInstance?.(instance, { signal });
      }
      expect(health).toEqual({
        healthy: false,
        message: `container ${instance.name} exited with code 1; last log lines:\nprobe crashed on purpose`,
      });
      while (!request.logLines.includes('probe crashed on purpose'))
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(request.logLines).toContain('probe crashed on purpose');
    } finally {
      await provider.stopInstance({ request, instance }, { fast: false, signal });
    }
  });

  it('fails with ImageNotFoundError (not retried) when the image does not exist', async () => {
    const request = testStartRequest({ workerName: `hyper-noimage-${unique}` });
    const provider = createHyperProvider(settings({ image: 'latentci-hyper-no-such-image:1' }));
    const error = await provider.startInstance(request, { signal }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect(error).toBeInstanceOf(CannotSubstantiateError);
    expect((error as ImageNotFoundError).message).toContain('latentci-hyper-no-such-image:1');
    await provider.stopInstance({ request }, { fast: false, signal });
  });

  it('turns an injected 5xx into a retryable HyperApiError', async () => {
    const request = testStartRequest({ workerName: `hyper-5xx-${unique}` });
    const provider = createHyperProvider(settings());
    simulator.setFaults({ errors: [{ status: 500, method: 'POST', path: '/containers/create', times: 1 }] });
    try {
      const error = await provider.startInstance(request, { signal }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HyperApiError);
      expect(error).toMatchObject({ status: 500, retryable: true, code: 'FAILED_TO_SUBSTANTIATE' });
    } finally {
      simulator.setFaults({});
      await provider.stopInstance({ request }, { fast: false, signal });
    }
  });

  it('stops waiting when the start is aborted, and the stop that follows removes the container by name', async () => {
    const request = testStartRequest({ workerName: `hyper-aborted-${unique}` });
    const provider = createHyperProvider(settings());
    const controller = new AbortController();
    simulator.setFaults({ latencyMs: 300 });
    try {
      const started = provider.startInstance(request, { signal: controller.signal });
      controller.abort();
      await expect(started).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      simulator.setFaults({});
    }
    await provider.stopInstance({ request }, { fast: false, signal });
    expect((await simulator.containers()).some((c) => c.name === request.instanceName)).toBe(false);
  });

  it("fails with Buildbot's 'Failed to start container' when create answers without an Id", async () => {
    const request = testStartRequest({ workerName: `hyper-noid-${unique}` });
    const withoutId: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      const response = await fetch(input, init);
      if (!url.includes('/containers/create')) return response;
      return new Response('{"Warnings":null}', { status: 201, headers: { 'Content-Type': 'application/json' } });
    };
    const provider = createHyperProvider(settings({ fetch: withoutId }));
    await expect(provider.startInstance(request, { signal })).rejects.toThrow('Failed to start container');
    await provider.stopInstance({ request }, { fast: false, signal });
    expect((await simulator.containers()).some((c) => c.name === request.instanceName)).toBe(false);
  });

  it('finds and reaps the containers labelled as owned by a master', async () => {
    const masterId = `hyper-orphans-${unique}`;
    const provider = createHyperProvider(settings());
    const started: HyperInstance[] = [];
    for (const workerName of [`hyper-orphan-a-${unique}`, `hyper-orphan-b-${unique}`]) {
      started.push(await provider.startInstance(testStartRequest({ workerName, masterId }), { signal }));
    }
    const orphans = await provider.listOrphans?.({ masterId }, { signal });
    expect(orphans?.map((o) => o.id).sort()).toEqual(started.map((s) => s.id).sort());
    expect(orphans?.[0]).toMatchObject({ masterId, state: 'running' });
    const oneWorker = await provider.listOrphans?.({ masterId, workerName: `hyper-orphan-a-${unique}` }, { signal });
    expect(oneWorker?.map((o) => o.id)).toEqual([started[0]?.id]);
    const reaped = await provider.reapOrphans?.({ masterId }, { signal });
    expect(reaped?.removed.length).toBe(2);
    expect(reaped?.failed).toEqual([]);
    expect(await provider.listOrphans?.({ masterId }, { signal })).toEqual([]);
  });
});

describe('the Hyper provider when Hyper refuses the signature', () => {
  async function startOn(overrides: Partial<HyperProviderSettings>) {
    const request = testStartRequest({ workerName: `hyper-auth-${randomBytes(3).toString('hex')}` });
    const provider = createHyperProvider(settings({ hyperHost: lenient.url, ...overrides }));
    const before = lenient.rejections.length;
    const error = await provider.startInstance(request, { signal }).catch((caught: unknown) => caught);
    return { error: error as Error, rejections: lenient.rejections.slice(before) };
  }

  it('a wrong secret key: HyperAuthenticationError, not retried, telling to check the keys, without the key', async () => {
    const { error, rejections } = await startOn({ secretKey: 'a-wrong-secret-key-0000' });
    expect(error).toBeInstanceOf(HyperAuthenticationError);
    expect(error).toMatchObject({ retryable: false, status: 401 });
    expect(error.message).toContain('check the access key and secret key');
    expect(error.message).not.toContain('a-wrong-secret-key-0000');
    expect(error.stack).not.toContain('a-wrong-secret-key-0000');
    expect(rejections.map((r) => r.failure)).toEqual(['signature-mismatch']);
  });

  it('an unknown access key: HyperAuthenticationError', async () => {
    const { error, rejections } = await startOn({ accessKey: 'NOSUCHACCESSKEY' });
    expect(error).toBeInstanceOf(HyperAuthenticationError);
    expect(rejections.map((r) => r.failure)).toEqual(['unknown-access-key']);
  });

  it('a region Hyper does not serve: HyperAuthenticationError', async () => {
    const { error, rejections } = await startOn({ region: 'eu-central-1' });
    expect(error).toBeInstanceOf(HyperAuthenticationError);
    expect(rejections.map((r) => r.failure)).toEqual(['signature-mismatch']);
  });

  it('a body changed after signing: HyperPayloadRejectedError', async () => {
    const tampering: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      if (request.method !== 'POST' || !request.url.includes('/containers/create')) return fetch(request);
      const body = (await request.text()).replace('"Tty":false', '"Tty":true');
      return fetch(new Request(request, { body }));
    };
    const { error, rejections } = await startOn({ fetch: tampering });
    expect(error).toBeInstanceOf(HyperPayloadRejectedError);
    expect(error.message).toContain('proxy');
    expect(rejections.map((r) => r.failure)).toEqual(['payload-mismatch']);
  });

  it.each([
    ['behind (the request looks expired)', 10 * 60_000, 'expired', 'behind'],
    ['ahead (the request is dated in the future)', -10 * 60_000, 'future-date', 'ahead of'],
  ] as const)(
    'a clock 10 minutes %s: HyperClockSkewError telling to fix the clock',
    async (_case, skew, failure, direction) => {
      lenient.setFaults({ clockSkewMs: skew });
      try {
        const { error, rejections } = await startOn({});
        expect(error).toBeInstanceOf(HyperClockSkewError);
        expect(error.message).toContain(`clock is about 10 minutes ${direction} Hyper's`);
        expect(error.message).toContain('synchronise');
        expect(rejections.map((r) => r.failure)).toEqual([failure]);
      } finally {
        lenient.setFaults({});
      }
    },
  );
});
