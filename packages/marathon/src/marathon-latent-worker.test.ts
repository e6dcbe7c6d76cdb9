import {
  FailedToSubstantiateError,
  LatentWorkerState,
  SubstantiationCancelledError,
  WorkerCrashedError,
} from '@latentci/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type MarathonLatentWorkerOptions, marathonLatentWorker } from './marathon-latent-worker.js';
import { type MarathonSimulator, startMarathonSimulator } from './simulator/marathon-simulator.js';
import type { MarathonSimulatorOptions } from './simulator/simulator-options.js';
import { createAppDefinitionValidator } from './test-support/app-definition-schema.js';

const validateAppDefinition = createAppDefinitionValidator();
const simulators: MarathonSimulator[] = [];
const workers: { shutdown(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.shutdown()));
  const violations = simulators.flatMap((simulator) => simulator.violations());
  await Promise.all(simulators.splice(0).map((simulator) => simulator.close()));
  expect(violations).toEqual([]);
});

async function setup(
  simulatorOptions: Partial<MarathonSimulatorOptions> = {},
  options: Partial<MarathonLatentWorkerOptions> = {},
) {
  const simulator = await startMarathonSimulator({
    runtime: 'virtual',
    deploymentDuration: 20,
    validateAppDefinition,
    ...simulatorOptions,
  });
  simulators.push(simulator);
  const worker = marathonLatentWorker({
    name: 'bot',
    masterId: 'fake:/master',
    masterFQDN: 'master:1234',
    password: 'pass-word-1',
    marathonUrl: simulator.url,
    // Buildbot's fixture is 'rendered:debian:wheezy', which Docker's reference grammar refuses (#23 defect 4).
    image: 'rendered/debian:wheezy',
    deploymentPollIntervalMs: 10,
    retryDelayMs: 10,
    ...options,
  });
  workers.push(worker);
  return { simulator, worker };
}

/** The simulated worker connects once Marathon reports its task running. */
async function taskRunning(simulator: MarathonSimulator): Promise<void> {
  while (!simulator.apps().some((app) => app.tasks.some((task) => task.state === 'TASK_RUNNING'))) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('marathonLatentWorker', () => {
  it("defaults buildWaitTimeout to 0, as Buildbot's MarathonLatentWorker", async () => {
    const { worker } = await setup();
    expect(worker.timings.buildWaitTimeout).toBe(0);
  });

  it('substantiates with DELETE then POST of the app, attaches, and deletes the app again on insubstantiate (M4)', async () => {
    const { simulator, worker } = await setup();
    const substantiated = worker.substantiate();
    await taskRunning(simulator);
    await worker.attached();
    await substantiated;
    expect(worker.state).toBe(LatentWorkerState.SUBSTANTIATED);
    const [app] = simulator.apps();
    expect(app?.id).toMatch(/^\/buildbot-worker\/buildbot-bot-[0-9a-f]{6}$/);
    expect(app?.env).toEqual({
      BUILDMASTER: 'master',
      BUILDMASTER_PORT: '1234',
      BUILDMASTER_PROTOCOL: 'pb',
      WORKERNAME: 'bot',
      WORKERPASS: 'pass-word-1',
    });
    expect(app?.container?.docker?.image).toBe('rendered/debian:wheezy');
    await worker.insubstantiate();
    const calls = simulator
      .requests()
      .map(({ method, path }) => `${method} ${path}`)
      .filter((call) => !call.includes('deployments'));
    expect(calls).toEqual([`DELETE /v2/apps${app?.id}`, 'POST /v2/apps', `DELETE /v2/apps${app?.id}`]);
    expect(simulator.apps()).toEqual([]);
  });

  it('cancels a substantiation whose worker never connects when insubstantiated (M5)', async () => {
    const { simulator, worker } = await setup();
    const outcome = worker.substantiate().catch((error: unknown) => error);
    await taskRunning(simulator);
    await worker.insubstantiate();
    expect(await outcome).toBeInstanceOf(SubstantiationCancelledError);
    expect(simulator.apps()).toEqual([]);
  });

  it('fails the substantiation when Marathon does not create the app, leaving no app (M6)', async () => {
    const { simulator, worker } = await setup({
      faults: { errors: [{ method: 'POST', path: '/v2/apps', status: 500, body: { message: 'image not found' } }] },
    });
    await expect(worker.substantiate()).rejects.toThrow(FailedToSubstantiateError);
    expect(simulator.apps()).toEqual([]);
  });

  it("fails fast with WorkerCrashedError carrying Marathon's task failure when the task cannot start", async () => {
    const { worker } = await setup(
      { faults: { failTasks: 'Failed to launch container: no such image rendered/debian:wheezy' } },
      { checkInstanceInterval: 0.05, missingTimeout: 3600 },
    );
    const failure = await worker.substantiate().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkerCrashedError);
    expect((failure as Error).message).toContain(
      'TASK_FAILED on localhost: Failed to launch container: no such image rendered/debian:wheezy',
    );
  });
});
