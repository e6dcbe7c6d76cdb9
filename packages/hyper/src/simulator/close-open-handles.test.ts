import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { ensureProbeImage } from '@latentci/test-kit';
import { describe, expect, it } from 'vitest';
import { signHyperRequest } from '../signing/sign-hyper-request.js';
import { signedFetch } from '../test-support/signed-fetch.js';
import { startHyperSimulator } from './start-hyper-simulator.js';

// Defect 11 of issue #23: close() must end every request the simulator opened to the engine, so
// that a process using it can exit. The open-handles check: after close(), no socket of this
// process still carries a request of the simulator (a followed log stream) to the engine.
const keys = { accessKey: 'CLOSEHANDLESKEY', secretKey: 'close-handles-secret-key-0123456789' };

interface HandleWithRequest extends Socket {
  readonly _httpMessage?: { readonly path?: string } | null;
}

/** Sockets of this process still carrying an engine request for followed logs. */
function openLogFollows(): string[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles
    .filter((handle): handle is HandleWithRequest => handle instanceof Socket && !handle.destroyed)
    .map((socket) => socket._httpMessage?.path ?? '')
    .filter((path) => path.includes('/logs') && /follow=(1|true)/.test(path));
}

describe('defect 11 (#23): the Hyper simulator ends its engine-side requests on close()', () => {
  it('a client still reading followed logs: after close() no engine request of the simulator stays open', async () => {
    const image = await ensureProbeImage();
    const simulator = await startHyperSimulator({ credentials: { [keys.accessKey]: keys.secretKey } });
    const name = `hsim-close-${randomBytes(3).toString('hex')}`;
    const body = JSON.stringify({
      Image: image,
      Entrypoint: ['/bin/sh', '-c', 'echo started; exec sleep 300'],
      Labels: { sh_hyper_instancetype: 's1' },
    });
    try {
      const created = await signedFetch(simulator.url, 'POST', `/v1.23/containers/create?name=${name}`, {
        ...keys,
        body,
      });
      const { Id: id } = JSON.parse(created.text) as { Id: string };
      expect((await signedFetch(simulator.url, 'POST', `/v1.23/containers/${id}/start`, keys)).status).toBe(204);
      const url = `${simulator.url}/v1.23/containers/${id}/logs?stdout=1&stderr=1&follow=1`;
      const response = await fetch(url, { headers: { ...signHyperRequest({ method: 'GET', url, ...keys }) } });
      const reader = response.body?.getReader();
      await reader?.read();
      expect(openLogFollows().length).toBeGreaterThan(0);
      // The client never cancels its read: close() alone must end the simulator's side.
      reader?.read().catch(() => undefined);
    } finally {
      await simulator.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(openLogFollows()).toEqual([]);
  });
});
