import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMarathonProvider } from '@latentci/marathon';
import { type MarathonSimulator, startMarathonSimulator } from '@latentci/marathon/testing';
import { ensureProbeImage } from '@latentci/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFaultCase } from '../support/fault-report.js';

// A master process dies (SIGKILL) with workers running; a new master, knowing only the dead one's
// id, finds and removes everything it left.
const root = fileURLToPath(new URL('../..', import.meta.url));
const masterId = `latentci-faults-crashed-master-${process.pid}`;
let simulator: MarathonSimulator;
let image: string;

beforeAll(async () => {
  image = await ensureProbeImage();
  simulator = await startMarathonSimulator({ runtime: 'docker', deploymentDuration: 100 });
});

afterAll(async () => {
  await simulator?.close();
});

function runMaster(workers: string[]): Promise<() => void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'tests/faults/fixtures/marathon-master.ts', simulator.url, image, masterId, ...workers],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
      if (output.includes('READY')) resolve(() => child.kill('SIGKILL'));
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('exit', (code) =>
      reject(new Error(`the master exited (${code}) before its workers attached:\n${output}`)),
    );
  });
}

describe('a master killed with workers running', () => {
  it('leaves apps that a new master lists and reaps by the dead master’s id', async () => {
    const kill = await runMaster(['crashed-a', 'crashed-b', 'crashed-c']);
    kill();
    expect(simulator.apps()).toHaveLength(3);

    const provider = createMarathonProvider({ marathonUrl: simulator.url, image });
    const signal = AbortSignal.timeout(60_000);
    const orphans = await provider.listOrphans!({ masterId }, { signal });
    expect(orphans.map((orphan) => orphan.workerName).sort()).toEqual(['crashed-a', 'crashed-b', 'crashed-c']);
    const reaped = await provider.reapOrphans!({ masterId }, { signal });
    expect(reaped.removed).toHaveLength(3);
    expect(reaped.failed).toHaveLength(0);

    for (let attempt = 0; attempt < 50 && simulator.apps().length > 0; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const leaks = simulator.apps().length;
    expect(leaks).toBe(0);
    recordFaultCase({ backend: 'marathon', fault: 'master killed with workers running', faultsInjected: 1, leaks });
  }, 120_000);
});
