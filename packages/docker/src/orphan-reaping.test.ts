import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { OWNER_LABELS } from '@latentci/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerProvider } from './docker-provider.js';
import { withEngine } from './test-engine.js';
import { cleanUpMaster, docker, signal, uniqueMasterId, uniqueWorkerName } from './test-support.js';
import { importBusyboxImage } from './testing/busybox-image.js';

const here = dirname(fileURLToPath(import.meta.url));
const masterId = uniqueMasterId('reaping');
const otherMasterId = uniqueMasterId('reaping-other');
let busyboxImage: string;
let child: ChildProcess | undefined;

withEngine(async () => {
  busyboxImage = await importBusyboxImage({ docker });
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await cleanUpMaster(masterId);
  await cleanUpMaster(otherMasterId);
});

/** Runs the crashing master in a child node process and resolves with the container ids it started. */
async function startCrashingMaster(workerNames: readonly string[]): Promise<string[]> {
  // node itself runs the master (tsx as a loader, not its CLI wrapper), so SIGKILL kills the master.
  child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'test-fixtures', 'crashing-master.ts'), masterId, busyboxImage, ...workerNames],
    {
      cwd: join(here, '..', '..', '..'),
      env: { ...process.env, TSX_TSCONFIG_PATH: join(here, '..', 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the crashing master exited (${String(code)}) before starting its workers: ${stderr}`);
  });
  const started = (async () => {
    for await (const line of lines) if (line.startsWith('started ')) return line.slice('started '.length).split(' ');
    throw new Error(`the crashing master printed no "started" line: ${stderr}`);
  })();
  return Promise.race([started, exited]);
}

describe('orphan reaping', () => {
  it('finds and removes every container a killed master left behind, and only those', async () => {
    const workerNames = [uniqueWorkerName('orphan'), uniqueWorkerName('orphan'), uniqueWorkerName('orphan')];
    const ids = await startCrashingMaster(workerNames);
    expect(ids).toHaveLength(3);
    const exited = once(child!, 'exit');
    child?.kill('SIGKILL');
    expect((await exited)[1]).toBe('SIGKILL');
    const bystander = await docker.createContainer({
      Image: busyboxImage,
      Cmd: ['sleep', '600'],
      Labels: {
        [OWNER_LABELS.managed]: 'true',
        [OWNER_LABELS.master]: otherMasterId,
        [OWNER_LABELS.worker]: 'bystander',
      },
    });

    const provider = createDockerProvider({ image: busyboxImage });
    const orphans = await provider.listOrphans({ masterId }, { signal: signal() });
    expect(orphans.map((orphan) => orphan.id).sort()).toEqual([...ids].sort());
    expect(orphans.map((orphan) => orphan.workerName).sort()).toEqual([...workerNames].sort());
    expect(orphans.every((orphan) => orphan.masterId === masterId && orphan.state === 'running')).toBe(true);

    const oneWorker = await provider.listOrphans(
      { masterId, workerName: workerNames[0] as string },
      { signal: signal() },
    );
    expect(oneWorker.map((orphan) => orphan.workerName)).toEqual([workerNames[0]]);

    const result = await provider.reapOrphans({ masterId }, { signal: signal() });
    expect(result.failed).toEqual([]);
    expect(result.removed.map((orphan) => orphan.id).sort()).toEqual([...ids].sort());
    expect(await provider.listOrphans({ masterId }, { signal: signal() })).toEqual([]);
    expect(
      await docker.listContainers({ all: true, filters: { label: [`${OWNER_LABELS.master}=${masterId}`] } }),
    ).toEqual([]);
    expect((await bystander.inspect()).Config.Labels[OWNER_LABELS.master]).toBe(otherMasterId);
  });
});
