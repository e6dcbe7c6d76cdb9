import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dockerLatentWorker } from '@latentci/docker';
import { ensureBuildbotWorkerImage } from '@latentci/test-kit';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BuildbotMaster,
  type BuildbotWorkerResource,
  DOCKER_BRIDGE_HOST,
  startBuildbotMaster,
  waitFor,
} from './buildbot-master.js';

// A real Buildbot 3.7 master (Debian's buildbot package), a real buildbot-worker 3.7 container
// started by @latentci/docker's latent worker: the master accepts the worker's login, runs a
// forced build on it, and once the lifecycle shut the worker down nothing is left.
const WORKER = 'interop-worker';
const password = randomBytes(12).toString('hex');
const masterId = `latentci-interop-${process.pid}`;
const docker = new Docker();
let master: BuildbotMaster;
let image: string;

beforeAll(async () => {
  image = await ensureBuildbotWorkerImage({ docker });
  master = await startBuildbotMaster({
    workers: { [WORKER]: password },
    builders: [{ name: 'interop', worker: WORKER, command: 'echo "hello from $(id -un) in $(pwd)"; env | sort' }],
  });
}, 300_000);

afterAll(async () => {
  const leftovers = await docker.listContainers({ all: true, filters: { label: [`io.latentci.master=${masterId}`] } });
  await Promise.all(leftovers.map((info) => docker.getContainer(info.Id).remove({ force: true })));
  await master?.stop();
});

async function workerOnMaster(): Promise<BuildbotWorkerResource> {
  const { workers } = await master.get<{ workers: BuildbotWorkerResource[] }>(`/workers/${WORKER}`);
  return workers[0] as BuildbotWorkerResource;
}

async function ourContainers(): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`io.latentci.master=${masterId}`] } });
}

describe('a real Buildbot master with a Docker latent worker from the real buildbot-worker image', () => {
  it('accepts the worker, runs a forced build on it, and nothing is left after shutdown', async () => {
    const worker = dockerLatentWorker({
      name: WORKER,
      password,
      masterId,
      image,
      masterFQDN: `${DOCKER_BRIDGE_HOST}:${master.pbPort}`,
      missingTimeout: 120,
    });
    expect((await workerOnMaster()).connected_to).toEqual([]);

    // The lifecycle starts the container; the master, not latentci, checks the password. Once its
    // REST API shows the worker connected, the lifecycle is told it attached.
    const substantiated = worker.substantiate();
    await waitFor(
      async () => (await workerOnMaster()).connected_to.length > 0,
      120_000,
      async () => `the master never saw ${WORKER} connect: ${JSON.stringify(await workerOnMaster())}`,
    );
    await worker.attached(`pb:${WORKER}`);
    await substantiated;
    expect(worker.substantiated).toBe(true);
    const connected = await workerOnMaster();
    expect(connected.workerinfo).toMatchObject({ version: '3.7.0-2' });
    const [container] = await ourContainers();
    expect(container?.Image).toBe(image);
    expect(container?.State).toBe('running');

    worker.buildStarted();
    const build = await master.forceBuild('interop');
    worker.buildFinished({ result: 'SUCCESS' });
    expect(build).toMatchObject({ complete: true, results: 0, state_string: 'build successful' });
    const log = await master.get<{ logchunks: { content: string }[] }>(
      `/builds/${build.buildid}/steps/run/logs/stdio/contents`,
    );
    const output = log.logchunks.map((chunk) => chunk.content).join('');
    expect(output).toContain('ohello from buildbot in /buildbot/interop/build');
    expect(output).toContain(`oWORKERNAME=${WORKER}`);
    // buildbot.tac removes the password from the environment before any step runs.
    expect(output).not.toContain('WORKERPASS');

    await worker.shutdown();
    expect(await ourContainers()).toEqual([]);
    await waitFor(
      async () => (await workerOnMaster()).connected_to.length === 0,
      30_000,
      async () => `the master still lists ${WORKER} as connected after the container was removed`,
    );
  }, 300_000);

  it('stops the master by its PID and removes its basedir', async () => {
    const { pid, basedir } = master;
    await master.stop();
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(existsSync(basedir)).toBe(false);
    expect(await ourContainers()).toEqual([]);
  }, 300_000);
});
