import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID_SEGMENT_PATTERN } from '../app-id.js';
import { type MarathonSimulator, startMarathonSimulator } from './marathon-simulator.js';
import type { MarathonSimulatorOptions } from './simulator-options.js';

const simulators: MarathonSimulator[] = [];
afterEach(async () => {
  await Promise.all(simulators.splice(0).map((simulator) => simulator.close()));
});

async function simulator(options: Partial<MarathonSimulatorOptions> = {}): Promise<MarathonSimulator> {
  const started = await startMarathonSimulator({ runtime: 'virtual', deploymentDuration: 50, ...options });
  simulators.push(started);
  return started;
}

// biome-ignore lint/suspicious/noExplicitAny: Marathon's JSON answers are inspected field by field.
type Json = any;

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}

async function call(
  sim: MarathonSimulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

const buildbotApp = {
  container: { docker: { image: 'buildbot/buildbot-worker:master', network: 'BRIDGE' }, type: 'DOCKER' },
  id: 'buildbot-worker/buildbot-bot-1a2b3c',
  instances: 1,
  env: {
    BUILDMASTER: 'master',
    BUILDMASTER_PROTOCOL: 'pb',
    WORKERNAME: 'bot',
    WORKERPASS: 'pass',
    BUILDMASTER_PORT: '1234',
  },
};

/** Polls until no deployment is listed (deployments end on their own after `deploymentDuration`). */
async function deploymentsSettled(sim: MarathonSimulator): Promise<void> {
  for (;;) {
    const reply = await call(sim, 'GET', '/v2/deployments');
    if (reply.json.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Marathon simulator: POST /v2/apps', () => {
  it("answers 201 with Location, Marathon-Deployment-Id and the normalised app for Buildbot's request", async () => {
    const sim = await simulator();
    const reply = await call(sim, 'POST', '/v2/apps', buildbotApp);
    expect(reply.status).toBe(201);
    expect(reply.headers.get('content-type')).toBe('application/json');
    expect(reply.headers.get('location')).toBe(`${sim.url}/buildbot-worker/buildbot-bot-1a2b3c`);
    const deploymentId = reply.headers.get('marathon-deployment-id');
    expect(deploymentId).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply.json).toMatchObject({
      id: '/buildbot-worker/buildbot-bot-1a2b3c',
      instances: 1,
      cpus: 1,
      mem: 128,
      disk: 0,
      networks: [{ mode: 'container/bridge' }],
      container: {
        type: 'DOCKER',
        docker: { image: 'buildbot/buildbot-worker:master', forcePullImage: false, privileged: false, parameters: [] },
        portMappings: [{ containerPort: 0, hostPort: 0, labels: {}, name: 'default', protocol: 'tcp', servicePort: 0 }],
        volumes: [],
      },
      env: buildbotApp.env,
      labels: {},
      tasksStaged: expect.any(Number),
      tasksRunning: expect.any(Number),
      deployments: [{ id: deploymentId }],
    });
    expect(reply.json.container.docker.network).toBeUndefined();
    expect(reply.json.version).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('answers 409 when the id exists', async () => {
    const sim = await simulator();
    await call(sim, 'POST', '/v2/apps', buildbotApp);
    const reply = await call(sim, 'POST', '/v2/apps', buildbotApp);
    expect(reply.status).toBe(409);
    expect(reply.json).toEqual({ message: 'An app with id [/buildbot-worker/buildbot-bot-1a2b3c] already exists.' });
  });

  it('answers 422 "Object is not valid" with the id rule for an invalid id', async () => {
    const sim = await simulator();
    const reply = await call(sim, 'POST', '/v2/apps', { ...buildbotApp, id: 'buildbot-worker/buildbot-My_bot-1' });
    expect(reply.status).toBe(422);
    expect(reply.json).toEqual({
      message: 'Object is not valid',
      details: [{ path: '/id', errors: [`must fully match regular expression '${APP_ID_SEGMENT_PATTERN}'`] }],
    });
  });

  it('answers 422 "Invalid JSON" for a missing id or a wrongly typed field', async () => {
    const sim = await simulator();
    const { id: _id, ...withoutId } = buildbotApp;
    expect((await call(sim, 'POST', '/v2/apps', withoutId)).json).toEqual({
      message: 'Invalid JSON',
      details: [{ path: '/id', errors: ['error.path.missing'] }],
    });
    const typed = await call(sim, 'POST', '/v2/apps', { id: 123 });
    expect(typed.status).toBe(422);
    expect(typed.json).toEqual({
      message: 'Invalid JSON',
      details: [{ path: '/id', errors: ['error.expected.jsstring'] }],
    });
  });

  it('answers 422 at path / when neither cmd, args nor container is given, and for network plus networks', async () => {
    const sim = await simulator();
    expect((await call(sim, 'POST', '/v2/apps', { id: '/a' })).json).toEqual({
      message: 'Object is not valid',
      details: [
        { path: '/', errors: ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."] },
      ],
    });
    const both = await call(sim, 'POST', '/v2/apps', { ...buildbotApp, networks: [{ mode: 'container/bridge' }] });
    expect(both.status).toBe(422);
    expect(both.json.details).toEqual([
      { path: '/', errors: ['must not specify both container.docker.network and networks'] },
    ]);
  });

  it('treats null as absent, as Marathon reads optional fields (Buildbot network: null)', async () => {
    const sim = await simulator();
    const reply = await call(sim, 'POST', '/v2/apps', {
      ...buildbotApp,
      container: { ...buildbotApp.container, docker: { image: 'img', network: null } },
      cpus: null,
    });
    expect(reply.status).toBe(201);
    expect(reply.json.networks).toEqual([{ mode: 'host' }]);
    expect(reply.json.cpus).toBe(1);
    expect(reply.json.portDefinitions).toEqual([{ port: 0, protocol: 'tcp', name: 'default' }]);
  });

  it('answers 500 for the unsupported docker network NONE (a NormalizationException, reference §4 question 7)', async () => {
    const sim = await simulator();
    const reply = await call(sim, 'POST', '/v2/apps', {
      ...buildbotApp,
      container: { docker: { image: 'img', network: 'NONE' } },
    });
    expect(reply.status).toBe(500);
    expect(reply.json).toEqual({ message: 'unsupported docker network type NONE' });
  });

  it('answers 400 for an empty body and for malformed JSON', async () => {
    const sim = await simulator();
    const empty = await call(sim, 'POST', '/v2/apps', '');
    expect(empty.status).toBe(400);
    expect(empty.json.message).toBe('Please specify data in JSON format');
    const malformed = await call(sim, 'POST', '/v2/apps', '{"id":');
    expect(malformed.status).toBe(400);
    expect(malformed.json.message).toBe('Invalid JSON');
    expect(typeof malformed.json.details).toBe('string');
  });

  it('answers 403 when --max_running_deployments is reached', async () => {
    const sim = await simulator({ maxRunningDeployments: 1, deploymentDuration: 60_000 });
    await call(sim, 'POST', '/v2/apps', buildbotApp);
    const reply = await call(sim, 'POST', '/v2/apps', { ...buildbotApp, id: '/other' });
    expect(reply.status).toBe(403);
    expect(reply.json.message).toMatch(
      /^Max number \(1\) of running deployments is achieved\. .*cancel oneusing force=true/,
    );
  });

  it('records the bodies a strict validator rejects and still serves them', async () => {
    const sim = await simulator({
      validateAppDefinition: (body) => ((body as { cpus?: unknown }).cpus === 'x' ? ['/cpus bad'] : []),
    });
    await call(sim, 'POST', '/v2/apps', buildbotApp);
    const reply = await call(sim, 'POST', '/v2/apps', { ...buildbotApp, id: '/b', cpus: 'x' });
    expect(reply.status).toBe(422);
    expect(sim.violations()).toEqual([{ body: { ...buildbotApp, id: '/b', cpus: 'x' }, errors: ['/cpus bad'] }]);
  });
});

describe('Marathon simulator: reading state', () => {
  it('reports the app with its running task once the deployment is done', async () => {
    const sim = await simulator();
    await call(sim, 'POST', '/v2/apps', { ...buildbotApp, labels: { team: 'ci' } });
    await deploymentsSettled(sim);
    const reply = await call(sim, 'GET', '/v2/apps/buildbot-worker/buildbot-bot-1a2b3c');
    expect(reply.status).toBe(200);
    expect(reply.json.app).toMatchObject({
      id: '/buildbot-worker/buildbot-bot-1a2b3c',
      tasksRunning: 1,
      deployments: [],
    });
    expect(reply.json.app.tasks).toEqual([
      expect.objectContaining({
        appId: '/buildbot-worker/buildbot-bot-1a2b3c',
        state: 'TASK_RUNNING',
        id: expect.stringMatching(/^buildbot-worker_buildbot-bot-1a2b3c\.instance-[0-9a-f-]{36}\._app\.1$/),
      }),
    ]);
    const tasks = await call(sim, 'GET', '/v2/apps/buildbot-worker/buildbot-bot-1a2b3c/tasks');
    expect(tasks.json.tasks).toEqual(reply.json.app.tasks);
    const list = await call(sim, 'GET', '/v2/apps?label=team==ci');
    expect(list.json.apps.map((app: { id: string }) => app.id)).toEqual(['/buildbot-worker/buildbot-bot-1a2b3c']);
    expect((await call(sim, 'GET', '/v2/apps?label=team==other')).json.apps).toEqual([]);
    expect((await call(sim, 'GET', '/v2/apps/buildbot-worker/*')).json['*']).toHaveLength(1);
  });

  it("answers 404 with Marathon's message for an unknown app", async () => {
    const sim = await simulator();
    for (const path of ['/v2/apps/nope', '/v2/apps/nope/tasks']) {
      const reply = await call(sim, 'GET', path);
      expect(reply.status).toBe(404);
      expect(reply.json).toEqual({ message: "App '/nope' does not exist" });
    }
  });
});

describe('Marathon simulator: DELETE /v2/apps/{id} and deployments', () => {
  it('deletes with force by default, removes the app at once and keeps a StopApplication deployment', async () => {
    const sim = await simulator({ deploymentDuration: 60_000 });
    await call(sim, 'POST', '/v2/apps', buildbotApp);
    const reply = await call(sim, 'DELETE', '/v2/apps/buildbot-worker/buildbot-bot-1a2b3c');
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      version: expect.any(String),
      deploymentId: reply.headers.get('marathon-deployment-id'),
    });
    expect((await call(sim, 'GET', '/v2/apps')).json.apps).toEqual([]);
    const deployments = (await call(sim, 'GET', '/v2/deployments')).json;
    expect(deployments).toEqual([
      expect.objectContaining({
        id: reply.json.deploymentId,
        affectedApps: ['/buildbot-worker/buildbot-bot-1a2b3c'],
        currentActions: [
          { action: 'StopApplication', app: '/buildbot-worker/buildbot-bot-1a2b3c', readinessCheckResults: [] },
        ],
      }),
    ]);
  });

  it("reproduces Buildbot's delete-then-create race: 409 AppLocked naming the deployment, then 201 once it is gone", async () => {
    // The StopApplication deployment lasts until the test cancels it: the race is certain.
    const sim = await simulator({ deploymentDuration: 600_000 });
    await call(sim, 'POST', '/v2/apps', buildbotApp);
    const deleted = await call(sim, 'DELETE', '/v2/apps/buildbot-worker/buildbot-bot-1a2b3c');
    const raced = await call(sim, 'POST', '/v2/apps', buildbotApp);
    expect(raced.status).toBe(409);
    expect(raced.json).toEqual({
      message: `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/${deleted.json.deploymentId}'.`,
      deployments: [{ id: deleted.json.deploymentId }],
    });
    expect(sim.apps()).toEqual([]);
    expect((await call(sim, 'DELETE', `/v2/deployments/${deleted.json.deploymentId}?force=true`)).status).toBe(202);
    expect((await call(sim, 'POST', '/v2/apps', buildbotApp)).status).toBe(201);
  });

  it('lets ?force=true override the lock', async () => {
    const sim = await simulator({ deploymentDuration: 60_000 });
    await call(sim, 'POST', '/v2/apps', buildbotApp);
    await call(sim, 'DELETE', '/v2/apps/buildbot-worker/buildbot-bot-1a2b3c');
    expect((await call(sim, 'POST', '/v2/apps?force=true', buildbotApp)).status).toBe(201);
  });

  it("answers 404 with Marathon's message when deleting an unknown app or deployment", async () => {
    const sim = await simulator();
    const app = await call(sim, 'DELETE', '/v2/apps/buildbot-worker/none');
    expect(app.status).toBe(404);
    expect(app.json).toEqual({ message: "App '/buildbot-worker/none' does not exist" });
    const deployment = await call(sim, 'DELETE', '/v2/deployments/abc');
    expect(deployment.status).toBe(404);
    expect(deployment.json).toEqual({ message: 'DeploymentPlan abc does not exist' });
  });

  it('cancels a deployment with DELETE /v2/deployments/{id}?force=true (202, no body)', async () => {
    const sim = await simulator({ deploymentDuration: 60_000 });
    const created = await call(sim, 'POST', '/v2/apps', buildbotApp);
    const reply = await call(
      sim,
      'DELETE',
      `/v2/deployments/${created.headers.get('marathon-deployment-id')}?force=true`,
    );
    expect(reply.status).toBe(202);
    expect(reply.text).toBe('');
    expect((await call(sim, 'GET', '/v2/deployments')).json).toEqual([]);
  });
});

describe('Marathon simulator: authentication', () => {
  it('answers 401 with a basic challenge and an HTML body without valid basic credentials', async () => {
    const sim = await simulator({ auth: { user: 'ci', password: 's3cret-pass' } });
    for (const headers of [{}, { Authorization: `Basic ${Buffer.from('ci:wrong').toString('base64')}` }]) {
      const reply = await call(sim, 'GET', '/v2/apps', undefined, headers);
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe('basic realm="Mesosphere"');
      expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
      expect(reply.text).toContain('HTTP ERROR 401');
    }
    const ok = await call(sim, 'GET', '/v2/apps', undefined, {
      Authorization: `Basic ${Buffer.from('ci:s3cret-pass').toString('base64')}`,
    });
    expect(ok.status).toBe(200);
  });

  it('accepts a DC/OS token as Authorization: token=… and answers 401 acsjwt otherwise', async () => {
    const sim = await simulator({ auth: { token: 'eyJhbGciOiJSUzI1NiJ9.test' }, basePath: '/service/marathon' });
    expect(sim.url).toMatch(/\/service\/marathon$/);
    const denied = await call(sim, 'GET', '/v2/apps', undefined, { Authorization: 'token=wrong' });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('acsjwt');
    expect(
      (await call(sim, 'GET', '/v2/apps', undefined, { Authorization: 'token=eyJhbGciOiJSUzI1NiJ9.test' })).status,
    ).toBe(200);
  });
});

describe('Marathon simulator: faults', () => {
  it('answers injected errors the given number of times, then serves normally', async () => {
    const sim = await simulator({ faults: { errors: [{ method: 'POST', path: '/v2/apps', status: 503, times: 2 }] } });
    expect((await call(sim, 'POST', '/v2/apps', buildbotApp)).json).toEqual({
      message: 'Could not determine the current leader',
    });
    expect((await call(sim, 'POST', '/v2/apps', buildbotApp)).status).toBe(503);
    expect((await call(sim, 'POST', '/v2/apps', buildbotApp)).status).toBe(201);
    expect(sim.requests().map((request) => request.status)).toEqual([503, 503, 201]);
  });

  it('fails every task with the injected message: lastTaskFailure TASK_FAILED, no running task', async () => {
    const sim = await simulator({ faults: { failTasks: 'Failed to launch container: no such image' } });
    await call(sim, 'POST', '/v2/apps', buildbotApp);
    let app: Json;
    do {
      app = (await call(sim, 'GET', '/v2/apps/buildbot-worker/buildbot-bot-1a2b3c')).json.app;
    } while (app.lastTaskFailure === undefined);
    expect(app.lastTaskFailure).toEqual({
      appId: '/buildbot-worker/buildbot-bot-1a2b3c',
      host: 'localhost',
      message: 'Failed to launch container: no such image',
      state: 'TASK_FAILED',
      taskId: expect.stringMatching(/^buildbot-worker_buildbot-bot-1a2b3c\.instance-/),
      timestamp: expect.any(String),
      version: app.version,
      slaveId: expect.any(String),
    });
    expect(app.tasksRunning).toBe(0);
    expect(app.deployments).toHaveLength(1);
  });

  it('replaces faults at run time with setFaults', async () => {
    const sim = await simulator({ faults: { errors: [{ status: 500 }] } });
    expect((await call(sim, 'GET', '/v2/apps')).status).toBe(500);
    sim.setFaults({});
    expect((await call(sim, 'GET', '/v2/apps')).status).toBe(200);
  });
});

/** Runs `action` over `items` with 25 requests in flight, as a master's workers would. */
async function inPool<T, R>(items: readonly T[], action: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 25 }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await action(items[index] as T);
      }
    }),
  );
  return results;
}

describe('Marathon simulator: virtual runtime at scale', () => {
  it('creates and deletes 1,000 apps', async () => {
    const sim = await simulator({ deploymentDuration: 1, maxRunningDeployments: 10_000 });
    const ids = Array.from({ length: 1000 }, (_, index) => `/scale/worker-${index}`);
    const created = await inPool(ids, (id) => call(sim, 'POST', '/v2/apps', { ...buildbotApp, id }));
    expect(created.filter((reply) => reply.status !== 201)).toEqual([]);
    expect((await call(sim, 'GET', '/v2/apps')).json.apps).toHaveLength(1000);
    const deleted = await inPool(ids, (id) => call(sim, 'DELETE', `/v2/apps${id}`));
    expect(deleted.filter((reply) => reply.status !== 200)).toEqual([]);
    expect(sim.apps()).toEqual([]);
    await deploymentsSettled(sim);
  });
});
