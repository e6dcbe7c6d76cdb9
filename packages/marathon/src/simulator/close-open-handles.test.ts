import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { importBusyboxImage } from '@latentci/docker/testing';
import { describe, expect, it } from 'vitest';
import { docker } from '../test-support/docker.js';
import { startMarathonSimulator } from './marathon-simulator.js';

// Defect 11 of issue #23: close() must end every request the simulator opened to the engine, so
// that a process using it can exit. The open-handles check: after close(), no socket of this
// process still carries a request of the simulator to the engine (a task's `wait`, a log stream).
interface HandleWithRequest extends Socket {
  readonly _httpMessage?: { readonly path?: string } | null;
}

/** Sockets of this process still carrying an engine request about a container. */
function openContainerRequests(): string[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles
    .filter((handle): handle is HandleWithRequest => handle instanceof Socket && !handle.destroyed)
    .map((socket) => socket._httpMessage?.path ?? '')
    .filter((path) => path.includes('/containers/'));
}

describe('defect 11 (#23): the Marathon simulator ends its engine-side requests on close()', () => {
  it('a running task (its container waited on): after close() no engine request of the simulator stays open', async () => {
    const image = await importBusyboxImage({ docker, tag: 'latentci-marathon-test-busybox:1' });
    const simulator = await startMarathonSimulator({ runtime: 'docker', deploymentDuration: 0 });
    const appId = `/handles/app-${randomBytes(3).toString('hex')}`;
    try {
      const created = await fetch(`${simulator.url}/v2/apps`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          id: appId,
          instances: 1,
          cpus: 0.1,
          mem: 32,
          cmd: 'exec sleep 300',
          container: { type: 'DOCKER', docker: { image } },
        }),
      });
      expect(created.status).toBe(201);
      for (;;) {
        const { app } = (await fetch(`${simulator.url}/v2/apps${appId}`).then((response) => response.json())) as {
          app: { tasksRunning?: number };
        };
        if ((app.tasksRunning ?? 0) >= 1) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(openContainerRequests().length).toBeGreaterThan(0);
    } finally {
      await simulator.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(openContainerRequests()).toEqual([]);
    const left = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`io.latentci.marathon-simulator=${simulator.id}`] }),
    });
    expect(left).toEqual([]);
  });
});
