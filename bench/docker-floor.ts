import { request } from 'node:http';
import type { AttachServer } from '@latentci/test-kit';

/**
 * The floor of the Docker benchmarks: the same container lifecycle as a latent worker's, done with
 * the minimal Engine API calls over the unix socket and no library code (no dockerode, no
 * latentci). What latentci adds on top of this is its overhead.
 */
const socketPath = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';

function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function expect2xx(method: string, path: string, body?: unknown): Promise<string> {
  const answer = await call(method, path, body);
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`${method} ${path} answered ${answer.status}: ${answer.body}`);
  }
  return answer.body;
}

export interface FloorPhases {
  create: number;
  start: number;
  attach: number;
  stop: number;
  remove: number;
}

export interface RawContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * One raw lifecycle: create, start, wait until `attached` resolves (the probe connected to the
 * attach server), stop, wait, remove. Returns the duration of each phase in ms.
 */
export async function rawContainerLifecycle(
  spec: RawContainerSpec,
  attached: () => Promise<unknown>,
): Promise<FloorPhases> {
  const t0 = performance.now();
  const created = JSON.parse(
    await expect2xx('POST', `/containers/create?name=${encodeURIComponent(spec.name)}`, {
      Image: spec.image,
      Env: Object.entries(spec.environment).map(([key, value]) => `${key}=${value}`),
      Labels: spec.labels,
      HostConfig: { Init: true },
    }),
  ) as { Id: string };
  const t1 = performance.now();
  await expect2xx('POST', `/containers/${created.Id}/start`);
  const t2 = performance.now();
  await attached();
  const t3 = performance.now();
  await expect2xx('POST', `/containers/${created.Id}/stop`);
  await expect2xx('POST', `/containers/${created.Id}/wait`);
  const t4 = performance.now();
  await expect2xx('DELETE', `/containers/${created.Id}?v=1&force=1`);
  const t5 = performance.now();
  return { create: t1 - t0, start: t2 - t1, attach: t3 - t2, stop: t4 - t3, remove: t5 - t4 };
}

/** Removes every container with the label, for cleanup after a failed run. */
export async function removeLabelled(label: string): Promise<void> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  const list = JSON.parse(await expect2xx('GET', `/containers/json?all=1&filters=${filters}`)) as { Id: string }[];
  await Promise.all(list.map((container) => call('DELETE', `/containers/${container.Id}?v=1&force=1`)));
}

/** Label on the floor's containers, for cleanup after a failed run. */
export const FLOOR_LABEL = 'io.latentci.bench';

/**
 * One floor cycle of a worker named `name`: the attach server expects its credentials, the raw
 * lifecycle runs with Buildbot's five variables, and the phases come back.
 */
export async function floorCycle(
  server: AttachServer,
  image: string,
  name: string,
  options: { readonly timeoutMs: number },
): Promise<FloorPhases> {
  const password = `floor-${Math.random().toString(36).slice(2, 14)}`;
  server.expectWorker(name, password);
  const attached = server.waitForAttach(name, { timeoutMs: options.timeoutMs });
  try {
    return await rawContainerLifecycle(
      {
        name: `latentci-floor-${name}`,
        image,
        environment: {
          BUILDMASTER: server.host,
          BUILDMASTER_PORT: String(server.port),
          BUILDMASTER_PROTOCOL: 'pb',
          WORKERNAME: name,
          WORKERPASS: password,
        },
        labels: { [FLOOR_LABEL]: 'floor' },
      },
      () => attached,
    );
  } finally {
    server.forgetWorker(name);
  }
}
