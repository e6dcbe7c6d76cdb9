import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHyperProvider, type HyperInstance } from './hyper-provider.js';
import { type HyperSimulator, startHyperSimulator } from './simulator/start-hyper-simulator.js';
import { testStartRequest } from './test-support/start-request.js';

// Defect 7 of issue #23: a value that reaches a URL (a container id from a handle, a name from a
// build property) is one encoded path segment: `../`, `?` and `#` cannot reach another endpoint,
// add a query or cut the path.
const ACCESS_KEY = 'URLENCODINGACCESSKEY';
const SECRET_KEY = 'url-encoding-secret-key-abcdefghij';
const unique = randomBytes(3).toString('hex');
const HOSTILE_ID = '../images/busybox?force=1#x';
let simulator: HyperSimulator;

beforeAll(async () => {
  simulator = await startHyperSimulator({ credentials: { [ACCESS_KEY]: SECRET_KEY }, strict: true });
});

afterAll(async () => {
  await simulator?.close();
});

const provider = () =>
  createHyperProvider({ hyperHost: simulator.url, accessKey: ACCESS_KEY, secretKey: SECRET_KEY, image: 'busybox:1' });

function pathsSince(index: number): string[] {
  return simulator.requests.slice(index).map((request) => request.path);
}

describe('defect 7 (#23): ids and names are encoded in URL paths', () => {
  it('checkInstance with a hostile container id asks for that one container, encoded', async () => {
    const instance: HyperInstance = { id: HOSTILE_ID, name: `bot-${unique}`, image: 'busybox:1', size: 's4' };
    const before = simulator.requests.length;
    const health = await provider().checkInstance?.(instance, { signal: AbortSignal.timeout(30_000) });
    expect(health).toEqual({ healthy: false, message: `container bot-${unique} no longer exists on Hyper` });
    expect(pathsSince(before)).toEqual([`/v1.23/containers/${encodeURIComponent(HOSTILE_ID)}/json`]);
  });

  it('stopInstance with a hostile container id stops and removes only that encoded path', async () => {
    const request = testStartRequest({ workerName: `url-${unique}` });
    const instance: HyperInstance = { id: HOSTILE_ID, name: request.instanceName, image: 'busybox:1', size: 's4' };
    const before = simulator.requests.length;
    await provider().stopInstance({ request, instance }, { fast: true, signal: AbortSignal.timeout(30_000) });
    const paths = pathsSince(before);
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) {
      expect(path.startsWith(`/v1.23/containers/${encodeURIComponent(HOSTILE_ID)}`)).toBe(true);
      expect(path).not.toContain('/images/');
      expect(path).not.toContain('?');
      expect(path).not.toContain('#');
    }
  });

  it('a worker name with ?, # or / never reaches a path: it is refused before any request', async () => {
    const request = testStartRequest({ workerName: 'a?b#c/../d' });
    const before = simulator.requests.length;
    await expect(provider().startInstance(request, { signal: AbortSignal.timeout(30_000) })).rejects.toThrow(
      /cannot name a Docker container/,
    );
    expect(simulator.requests.length).toBe(before);
  });
});
