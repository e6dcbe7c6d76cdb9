import {
  BackendError,
  ConfigurationError,
  FailedToSubstantiateError,
  type Logger,
  OWNER_LABELS,
  Properties,
} from '@latentci/core';
import { recordingStartRequest as startRequest } from '@latentci/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { MarathonAppRejectedError, MarathonAuthenticationError } from './errors.js';
import { createMarathonProvider, type MarathonInstance } from './marathon-provider.js';
import type { MarathonSettings } from './settings.js';
import { type MarathonSimulator, startMarathonSimulator } from './simulator/marathon-simulator.js';
import type { MarathonSimulatorOptions } from './simulator/simulator-options.js';
import { createAppDefinitionValidator } from './test-support/app-definition-schema.js';

const validateAppDefinition = createAppDefinitionValidator();
const simulators: MarathonSimulator[] = [];
afterEach(async () => {
  // Every app definition the provider emitted validates against Marathon's AppDefinition.json.
  const violations = simulators.flatMap((simulator) => simulator.violations());
  await Promise.all(simulators.splice(0).map((simulator) => simulator.close()));
  expect(violations).toEqual([]);
});

async function simulator(options: Partial<MarathonSimulatorOptions> = {}): Promise<MarathonSimulator> {
  const started = await startMarathonSimulator({
    runtime: 'virtual',
    deploymentDuration: 30,
    validateAppDefinition,
    ...options,
  });
  simulators.push(started);
  return started;
}

function provider(sim: MarathonSimulator, settings: Partial<MarathonSettings> = {}) {
  return createMarathonProvider({
    marathonUrl: sim.url,
    image: 'latentci/worker:1',
    deploymentPollIntervalMs: 10,
    retryDelayMs: 10,
    ...settings,
  });
}

const signal = () => new AbortController().signal;

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (level, message) => void lines.push(`${level} ${message}`) };
}

describe('Marathon provider: settings', () => {
  it('refuses invalid settings with ConfigurationErrors naming the setting', () => {
    expect(() => createMarathonProvider({ marathonUrl: 'not a url', image: 'x' })).toThrow(
      /marathonUrl must be an http\(s\) URL/,
    );
    expect(() => createMarathonProvider({ marathonUrl: 'ftp://m', image: 'x' })).toThrow(ConfigurationError);
    expect(() => createMarathonProvider({ marathonUrl: 'http://u:p@m:8080', image: 'x' })).toThrow(
      /pass them as marathonAuth/,
    );
    expect(() => createMarathonProvider({ marathonUrl: 'http://m:8080', image: '' })).toThrow(/image is required/);
    expect(() => createMarathonProvider({ marathonUrl: 'http://m:8080', image: 'x', marathonAuth: 'nocolon' })).toThrow(
      /user:password/,
    );
    expect(() => createMarathonProvider({ marathonUrl: 'http://m:8080', image: 'x', startAttempts: 0 })).toThrow(
      /startAttempts/,
    );
  });

  it('makes no request until asked to start (M1)', () => {
    let calls = 0;
    createMarathonProvider({
      marathonUrl: 'http://marathon.invalid:8080',
      image: 'x',
      fetch: async () => {
        calls += 1;
        return new Response('{}');
      },
    });
    expect(calls).toBe(0);
  });

  it('declares health checks, per-build settings (M2) and orphan reaping, not startup logs', async () => {
    const sim = await simulator();
    const subject = provider(sim, { marathonExtraConfig: { mem: 256 } });
    expect(subject.capabilities).toEqual({
      healthCheck: true,
      perBuildSettings: true,
      orphanReaping: true,
      startupLogs: false,
    });
    expect(await subject.renderStartSettings?.(new Properties())).toEqual({
      image: 'latentci/worker:1',
      marathonExtraConfig: { mem: 256 },
    });
  });
});

describe('Marathon provider: start', () => {
  it('deletes any previous app, then posts the app definition (M4) and returns the app as the instance', async () => {
    const sim = await simulator();
    const request = startRequest();
    const instance = await provider(sim).startInstance(request, { signal: signal() });
    expect(instance).toEqual({
      id: '/buildbot-worker/buildbot-bot-87de7e',
      name: 'buildbot-bot-87de7e',
      version: expect.stringMatching(/Z$/),
      deploymentId: expect.any(String),
    });
    expect(sim.requests().map(({ method, path }) => `${method} ${path}`)).toEqual([
      'DELETE /v2/apps/buildbot-worker/buildbot-bot-87de7e',
      'POST /v2/apps',
    ]);
    const [app] = sim.apps();
    expect(app).toMatchObject({
      id: '/buildbot-worker/buildbot-bot-87de7e',
      instances: 1,
      env: request.environment,
      labels: request.labels,
      networks: [{ mode: 'container/bridge' }],
      container: { type: 'DOCKER', docker: { image: 'latentci/worker:1' } },
    });
  });

  it('merges marathonExtraConfig: network null and extra env reach Marathon (M7)', async () => {
    const sim = await simulator();
    await provider(sim, {
      marathonExtraConfig: { container: { docker: { network: null } }, env: { PARAMETER: 'foo' } },
    }).startInstance(startRequest(), { signal: signal() });
    const [app] = sim.apps();
    expect(app?.env).toEqual({ ...startRequest().environment, PARAMETER: 'foo' });
    expect(app?.networks).toEqual([{ mode: 'host' }]);
  });

  it('waits for the deletion of the previous app instead of racing it into 409 AppLocked', async () => {
    const sim = await simulator({ deploymentDuration: 150 });
    const subject = provider(sim);
    await subject.startInstance(startRequest(), { signal: signal() });
    const second = await subject.startInstance(startRequest(), { signal: signal() });
    expect(second.id).toBe('/buildbot-worker/buildbot-bot-87de7e');
    const calls = sim.requests().map(({ method, path, status }) => `${method} ${path} ${status}`);
    expect(calls.filter((call) => call.startsWith('POST'))).toEqual(['POST /v2/apps 201', 'POST /v2/apps 201']);
    expect(calls).toContain('GET /v2/deployments 200');
  });

  it('waits out a 409 AppLocked left by an earlier stop (deletion still deploying) and then creates the app', async () => {
    // Deployments last until the test ends them, so the lock is certain, whatever the machine's speed.
    const sim = await simulator({ deploymentDuration: 600_000 });
    const subject = provider(sim, { waitForStop: false });
    const request = startRequest();
    const instance = await subject.startInstance(request, { signal: signal() });
    await subject.stopInstance({ request, instance }, { fast: true, signal: signal() });
    const restart = subject.startInstance(request, { signal: signal() });
    while (!sim.requests().some((call) => call.method === 'POST' && call.status === 409)) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const [stopDeployment] = (await fetch(`${sim.url}/v2/deployments`).then((response) => response.json())) as {
      id: string;
    }[];
    await fetch(`${sim.url}/v2/deployments/${stopDeployment?.id}?force=true`, { method: 'DELETE' });
    await restart;
    const statuses = sim.requests().map(({ method, path, status }) => `${method} ${path} ${status}`);
    expect(statuses.filter((status) => status.startsWith('POST'))).toEqual([
      'POST /v2/apps 201',
      'POST /v2/apps 409',
      'POST /v2/apps 201',
    ]);
    expect(sim.apps()).toHaveLength(1);
  });

  it('retries 503 within the start with backoff', async () => {
    const sim = await simulator({ faults: { errors: [{ method: 'POST', path: '/v2/apps', status: 503, times: 2 }] } });
    const request = startRequest();
    await provider(sim).startInstance(request, { signal: signal() });
    expect(
      sim
        .requests()
        .filter((call) => call.method === 'POST')
        .map((call) => call.status),
    ).toEqual([503, 503, 201]);
    expect(request.recorded.progress.map((progress) => progress.status)).toContain(
      'retrying: POST /buildbot-worker/buildbot-bot-87de7e: 503 Could not determine the current leader',
    );
  });

  it("gives up after startAttempts with a retryable FailedToSubstantiateError carrying Marathon's message", async () => {
    const sim = await simulator({ faults: { errors: [{ method: 'POST', status: 503 }] } });
    const start = provider(sim, { startAttempts: 3 }).startInstance(startRequest(), { signal: signal() });
    await expect(start).rejects.toThrow(FailedToSubstantiateError);
    await expect(start).rejects.toMatchObject({
      retryable: true,
      message: expect.stringMatching(
        /after 3 attempts; last answer: POST .*503 Could not determine the current leader/,
      ),
    });
  });

  it('treats a Marathon slower than requestTimeoutMs as unreachable: retried, then a FailedToSubstantiateError', async () => {
    const sim = await simulator({ faults: { latency: 400 } });
    const start = provider(sim, { requestTimeoutMs: 50, startAttempts: 2 }).startInstance(startRequest(), {
      signal: signal(),
    });
    await expect(start).rejects.toThrow(FailedToSubstantiateError);
    await expect(start).rejects.toThrow(
      /did not answer DELETE \/v2\/apps\/buildbot-worker\/buildbot-bot-87de7e in time/,
    );
  });

  it('honours the abort signal while retrying', async () => {
    const sim = await simulator({ faults: { errors: [{ method: 'POST', status: 503 }] } });
    const controller = new AbortController();
    const start = provider(sim, { retryDelayMs: 60_000 }).startInstance(startRequest(), { signal: controller.signal });
    const reason = new Error('stop requested');
    setImmediate(() => controller.abort(reason));
    await expect(start).rejects.toBe(reason);
  });

  it("reports other codes as a retryable FailedToSubstantiateError with Marathon's message (M6)", async () => {
    const sim = await simulator({
      faults: { errors: [{ method: 'POST', status: 500, body: { message: 'boom inside' } }] },
    });
    const start = provider(sim).startInstance(startRequest(), { signal: signal() });
    await expect(start).rejects.toThrow(FailedToSubstantiateError);
    await expect(start).rejects.toThrow(
      'Unable to create Marathon app /buildbot-worker/buildbot-bot-87de7e: 500: boom inside',
    );
    expect(sim.apps()).toEqual([]);
  });

  it("surfaces a 422 as a ConfigurationError listing Marathon's details", async () => {
    const sim = await simulator();
    const start = provider(sim, { marathonExtraConfig: { instances: -1, cmd: 'x' } }).startInstance(startRequest(), {
      signal: signal(),
    });
    await expect(start).rejects.toThrow(MarathonAppRejectedError);
    await expect(start).rejects.toBeInstanceOf(ConfigurationError);
    const error = (await start.catch((caught: unknown) => caught)) as MarathonAppRejectedError;
    expect(error.details).toEqual([
      { path: '/instances', errors: ['got -1, expected 0 or more'] },
      { path: '/cmd', errors: ['must not be an empty string'] },
    ]);
    expect(error.message).toBe(
      'Marathon rejected the app definition of /buildbot-worker/buildbot-bot-87de7e (422 Object is not valid): /instances: got -1, expected 0 or more; /cmd: must not be an empty string. Fix image, marathonExtraConfig or marathonAppPrefix',
    );
    // The schema check of the simulator saw the invalid body too; this test expects it.
    expect(simulators[0]?.violations()).toHaveLength(1);
    simulators.splice(0).forEach((started) => void started.close());
  });

  it('refuses a worker name Marathon cannot take before calling Marathon', async () => {
    const sim = await simulator();
    const start = provider(sim).startInstance(startRequest({ workerName: 'Bot' }), { signal: signal() });
    await expect(start).rejects.toThrow(ConfigurationError);
    expect(sim.requests()).toEqual([]);
  });
});

describe('Marathon provider: credentials', () => {
  it('sends basic credentials given as user:password or { user, password }', async () => {
    const sim = await simulator({ auth: { user: 'ci', password: 'marathon-secret' } });
    for (const marathonAuth of ['ci:marathon-secret', { user: 'ci', password: 'marathon-secret' }] as const) {
      const subject = provider(sim, { marathonAuth });
      const request = startRequest();
      const instance = await subject.startInstance(request, { signal: signal() });
      await subject.stopInstance({ request, instance }, { fast: false, signal: signal() });
    }
    expect(sim.requests().every((call) => call.status !== 401)).toBe(true);
  });

  it('sends a DC/OS token as Authorization: token=…', async () => {
    const sim = await simulator({ auth: { token: 'dcos-token-value' } });
    await provider(sim, { marathonAuth: { token: 'dcos-token-value' } }).startInstance(startRequest(), {
      signal: signal(),
    });
    expect(sim.apps()).toHaveLength(1);
  });

  it('fails a start with wrong credentials at once, not retried, saying to check them and never showing them', async () => {
    const sim = await simulator({ auth: { user: 'ci', password: 'marathon-secret' } });
    const start = provider(sim, { marathonAuth: 'ci:wrong-password' }).startInstance(startRequest(), {
      signal: signal(),
    });
    await expect(start).rejects.toThrow(MarathonAuthenticationError);
    const error = (await start.catch((caught: unknown) => caught)) as MarathonAuthenticationError;
    expect(error).toMatchObject({ status: 401, retryable: false, code: 'CANNOT_SUBSTANTIATE' });
    expect(error.message).toMatch(/refused the request to delete app .*401.*check marathonAuth/);
    expect(error.message).not.toContain('wrong-password');
    expect(sim.requests()).toHaveLength(1);
  });

  it('treats 403 Not Authorized as a credentials failure', async () => {
    const sim = await simulator({
      faults: {
        errors: [{ method: 'POST', status: 403, body: { message: 'Not Authorized to perform this action!' } }],
      },
    });
    await expect(provider(sim).startInstance(startRequest(), { signal: signal() })).rejects.toThrow(
      /403 Not Authorized to perform this action!.*check marathonAuth/,
    );
  });

  it('retries 403 "max running deployments", which is a capacity limit, not a credentials problem', async () => {
    const sim = await simulator({
      faults: {
        errors: [
          {
            method: 'POST',
            status: 403,
            times: 1,
            body: { message: 'Max number (1) of running deployments is achieved.' },
          },
        ],
      },
    });
    await provider(sim).startInstance(startRequest(), { signal: signal() });
    expect(sim.apps()).toHaveLength(1);
  });
});

describe('Marathon provider: health check', () => {
  it('is healthy while the task runs', async () => {
    const sim = await simulator();
    const subject = provider(sim);
    const instance = await subject.startInstance(startRequest(), { signal: signal() });
    expect(await subject.checkInstance?.(instance, { signal: signal() })).toEqual({ healthy: true });
  });

  it("reports a failed task as unhealthy with Marathon's lastTaskFailure message", async () => {
    const sim = await simulator({
      faults: { failTasks: 'Failed to launch container: pull access denied for no-such-image' },
    });
    const subject = provider(sim);
    const instance = await subject.startInstance(startRequest(), { signal: signal() });
    let health = await subject.checkInstance?.(instance, { signal: signal() });
    while (health?.healthy) health = await subject.checkInstance?.(instance, { signal: signal() });
    expect(health).toEqual({
      healthy: false,
      message: expect.stringMatching(
        /^Marathon task buildbot-worker_buildbot-bot-87de7e\.instance-.* of \/buildbot-worker\/buildbot-bot-87de7e TASK_FAILED on localhost: Failed to launch container: pull access denied for no-such-image$/,
      ),
    });
  });

  it('reports an app deleted behind its back as unhealthy', async () => {
    const sim = await simulator();
    const subject = provider(sim);
    const request = startRequest();
    const instance = await subject.startInstance(request, { signal: signal() });
    await fetch(`${sim.url}/v2/apps${instance.id}`, { method: 'DELETE' });
    expect(await subject.checkInstance?.(instance, { signal: signal() })).toEqual({
      healthy: false,
      message: 'Marathon app /buildbot-worker/buildbot-bot-87de7e does not exist any more (deleted outside latentci?)',
    });
  });

  it('ignores a failure of an earlier version of the app', async () => {
    const sim = await simulator();
    const subject = provider(sim);
    const instance = await subject.startInstance(startRequest(), { signal: signal() });
    const later: MarathonInstance = { ...instance, version: '9999-01-01T00:00:00.000Z' };
    sim.setFaults({ failTasks: 'old failure' });
    expect(await subject.checkInstance?.(later, { signal: signal() })).toEqual({ healthy: true });
  });
});

describe('Marathon provider: stop', () => {
  it('deletes the app with force=true and waits for the deployment to finish', async () => {
    const sim = await simulator();
    const subject = provider(sim);
    const request = startRequest();
    const instance = await subject.startInstance(request, { signal: signal() });
    await subject.stopInstance({ request, instance }, { fast: false, signal: signal() });
    const calls = sim.requests().slice(2);
    expect(calls[0]).toMatchObject({
      method: 'DELETE',
      path: '/v2/apps/buildbot-worker/buildbot-bot-87de7e',
      query: '?force=true',
      status: 200,
    });
    expect(calls.at(-1)).toMatchObject({ method: 'GET', path: '/v2/deployments' });
    expect((await fetch(`${sim.url}/v2/deployments`).then((response) => response.json())) as unknown[]).toEqual([]);
  });

  it('cleans up by instance name when the start never returned an instance, and accepts 404', async () => {
    const sim = await simulator();
    const subject = provider(sim);
    await subject.stopInstance({ request: startRequest() }, { fast: true, signal: signal() });
    expect(sim.requests()).toEqual([
      { method: 'DELETE', path: '/v2/apps/buildbot-worker/buildbot-bot-87de7e', query: '?force=true', status: 404 },
    ]);
  });

  it('logs other answers as warnings and never throws, as Buildbot', async () => {
    const sim = await simulator({
      faults: { errors: [{ method: 'DELETE', status: 500, body: { message: 'kaputt' } }] },
    });
    const logger = recordingLogger();
    const request = startRequest();
    await provider(sim, { logger }).stopInstance({ request }, { fast: false, signal: signal() });
    expect(logger.lines).toEqual([
      'warn Unable to delete Marathon app /buildbot-worker/buildbot-bot-87de7e: 500: kaputt',
    ]);
    expect(request.recorded.progress).toEqual([
      { phase: 'delete', status: 'Unable to delete Marathon app /buildbot-worker/buildbot-bot-87de7e: 500: kaputt' },
    ]);
  });

  it('logs an unreachable Marathon and never throws', async () => {
    const logger = recordingLogger();
    const subject = createMarathonProvider({
      marathonUrl: 'http://127.0.0.1:9',
      image: 'x',
      logger,
      requestTimeoutMs: 2000,
    });
    await subject.stopInstance({ request: startRequest() }, { fast: false, signal: signal() });
    expect(logger.lines).toEqual([
      expect.stringMatching(
        /^warn Unable to delete Marathon app \/buildbot-worker\/buildbot-bot-87de7e: cannot reach Marathon at http:\/\/127\.0\.0\.1:9/,
      ),
    ]);
  });
});

describe('Marathon provider: orphans', () => {
  it('lists and reaps the apps under the prefix labelled for a master, and only those', async () => {
    const sim = await simulator();
    const subject = provider(sim);
    await subject.startInstance(startRequest({ workerName: 'one' }), { signal: signal() });
    await subject.startInstance(startRequest({ workerName: 'two' }), { signal: signal() });
    await subject.startInstance(startRequest({ workerName: 'three', masterId: 'other-master' }), { signal: signal() });
    await fetch(`${sim.url}/v2/apps`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        id: '/buildbot-worker/foreign',
        cmd: 'sleep 1000',
        labels: { [OWNER_LABELS.master]: 'fake:/master' },
      }),
    });
    const orphans = await subject.listOrphans?.({ masterId: 'fake:/master' }, { signal: signal() });
    expect(orphans?.map((orphan) => orphan.id).sort()).toEqual([
      '/buildbot-worker/buildbot-one-87de7e',
      '/buildbot-worker/buildbot-two-87de7e',
    ]);
    expect(orphans?.[0]).toMatchObject({ masterId: 'fake:/master', name: expect.stringMatching(/^buildbot-/) });
    const onlyTwo = await subject.listOrphans?.({ masterId: 'fake:/master', workerName: 'two' }, { signal: signal() });
    expect(onlyTwo?.map((orphan) => orphan.workerName)).toEqual(['two']);
    const reaped = await subject.reapOrphans?.({ masterId: 'fake:/master' }, { signal: signal() });
    expect(reaped?.removed).toHaveLength(2);
    expect(reaped?.failed).toEqual([]);
    expect(
      sim
        .apps()
        .map((app) => app.id)
        .sort(),
    ).toEqual(['/buildbot-worker/buildbot-three-23517b', '/buildbot-worker/foreign']);
  });

  it('reports a listing failure as a BackendError', async () => {
    const sim = await simulator({ faults: { errors: [{ method: 'GET', status: 500 }] } });
    await expect(provider(sim).listOrphans?.({ masterId: 'm' }, { signal: signal() })).rejects.toThrow(BackendError);
  });
});
