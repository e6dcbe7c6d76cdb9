import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDockerRuntime } from './docker-runtime.js';
import { MarathonState, type StateAnswer } from './marathon-state.js';
import type { MarathonApp, MarathonTask } from './marathon-types.js';
import type { SimulatorRuntime } from './runtime.js';
import type {
  InjectedError,
  MarathonSimulatorAuth,
  MarathonSimulatorFaults,
  MarathonSimulatorOptions,
  RecordedRequest,
  RecordedViolation,
} from './simulator-options.js';
import { createVirtualRuntime } from './virtual-runtime.js';

/** A running Marathon simulator. */
export interface MarathonSimulator {
  /** Base URL to give the provider as `marathonUrl`, including the base path; no trailing slash. */
  readonly url: string;
  /** The simulator's id: its containers carry the label `io.latentci.marathon-simulator=<id>`. */
  readonly id: string;
  /** Every app (normalised as Marathon stores it) with its live tasks. */
  apps(): (MarathonApp & { tasks: MarathonTask[] })[];
  /** Every request served so far, in order. */
  requests(): readonly RecordedRequest[];
  /** `POST /v2/apps` bodies rejected by `validateAppDefinition`. */
  violations(): readonly RecordedViolation[];
  /** Replaces the injected faults. */
  setFaults(faults: MarathonSimulatorFaults): void;
  /** Stops listening, kills every task and removes every container the simulator started. */
  close(): Promise<void>;
}

/**
 * Starts a Marathon REST API simulator on a real HTTP server: `POST/GET/DELETE /v2/apps`,
 * `GET /v2/apps/{id}`, `GET /v2/apps/{id}/tasks`, `GET/DELETE /v2/deployments`, with Marathon's
 * status codes, headers and JSON bodies, deployments that take time, basic or DC/OS token auth,
 * and fault injection. With `runtime: 'docker'` each app runs as a real container.
 */
export async function startMarathonSimulator(options: MarathonSimulatorOptions): Promise<MarathonSimulator> {
  const id = randomBytes(4).toString('hex');
  const runtime: SimulatorRuntime =
    options.runtime === 'docker'
      ? createDockerRuntime({
          simulatorId: id,
          ...(options.docker ? { docker: options.docker } : {}),
          ...(options.pullImages !== undefined ? { pullImages: options.pullImages } : {}),
        })
      : createVirtualRuntime();
  let faults: MarathonSimulatorFaults = options.faults ?? {};
  const injectedCounts = new Map<InjectedError, number>();
  const state = new MarathonState({
    runtime,
    deploymentDuration: options.deploymentDuration ?? 200,
    maxRunningDeployments: options.maxRunningDeployments ?? 100,
    failTask: (app) => (typeof faults.failTasks === 'function' ? faults.failTasks(app) : faults.failTasks),
  });
  const requests: RecordedRequest[] = [];
  const violations: RecordedViolation[] = [];
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  let origin = '';

  function injectedFor(method: string, path: string): InjectedError | undefined {
    for (const fault of faults.errors ?? []) {
      if (fault.method && fault.method.toUpperCase() !== method) continue;
      if (fault.path && !path.startsWith(fault.path)) continue;
      const used = injectedCounts.get(fault) ?? 0;
      if (fault.times !== undefined && used >= fault.times) continue;
      injectedCounts.set(fault, used + 1);
      return fault;
    }
    return undefined;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    const method = (request.method ?? 'GET').toUpperCase();
    const body = await readBody(request);
    if (faults.latency) await sleep(faults.latency);
    if (!url.pathname.startsWith(`${basePath}/`) && url.pathname !== basePath) {
      return void send(response, { status: 404, html: 'Not Found' });
    }
    const path = url.pathname.slice(basePath.length) || '/';
    const record = (status: number) => requests.push({ method, path, query: url.search, status });
    const denied = options.auth ? checkAuth(options.auth, request.headers.authorization) : undefined;
    if (denied) {
      record(denied.status);
      return void send(response, denied);
    }
    const injected = injectedFor(method, path);
    if (injected) {
      record(injected.status);
      return void send(response, {
        status: injected.status,
        body: injected.body ?? { message: defaultMessage(injected.status) },
      });
    }
    const answer = route(method, path, url.searchParams, body);
    record(answer.status);
    send(response, answer, origin);
  }

  function route(method: string, path: string, query: URLSearchParams, body: string): Answer {
    const force = (fallback: boolean) => {
      const value = query.get('force');
      return value === null ? fallback : value === 'true';
    };
    if (path === '/ping' && method === 'GET') return { status: 200, text: 'pong' };
    if (path === '/v2/info' && method === 'GET') {
      return {
        status: 200,
        body: { name: 'marathon', version: '1.10.26-simulated', leader: origin.replace(/^https?:\/\//, '') },
      };
    }
    if (path === '/v2/apps' || path === '/v2/apps/') {
      if (method === 'GET') {
        const embed = query.getAll('embed');
        return state.listApps({
          ...(query.get('id') ? { id: query.get('id') as string } : {}),
          ...(query.get('label') ? { label: query.get('label') as string } : {}),
          embedTasks: embed.includes('apps.tasks') || embed.includes('apps.lastTaskFailure'),
        });
      }
      if (method === 'POST') {
        const parsed = parseJson(body);
        if ('answer' in parsed) return parsed.answer;
        if (options.validateAppDefinition) {
          const errors = options.validateAppDefinition(parsed.value);
          if (errors.length > 0) violations.push({ body: parsed.value, errors });
        }
        return state.createApp(parsed.value, force(false));
      }
      return methodNotAllowed();
    }
    if (path.startsWith('/v2/apps/')) {
      const rest = path.slice('/v2/apps/'.length).replace(/\/+$/, '');
      if (rest.endsWith('/*') && method === 'GET') {
        return state.listApps({ group: `/${rest.slice(0, -2).replace(/^\/+/, '')}`, embedTasks: false });
      }
      if (rest.endsWith('/tasks')) {
        if (method !== 'GET') return methodNotAllowed();
        return state.getTasks(rest.slice(0, -'/tasks'.length));
      }
      if (method === 'GET') return state.getApp(rest);
      if (method === 'DELETE') return state.deleteApp(rest, force(true));
      return methodNotAllowed();
    }
    if (path === '/v2/deployments' || path === '/v2/deployments/') {
      return method === 'GET' ? state.listDeployments() : methodNotAllowed();
    }
    if (path.startsWith('/v2/deployments/')) {
      if (method !== 'DELETE') return methodNotAllowed();
      return state.deleteDeployment(path.slice('/v2/deployments/'.length), force(false));
    }
    return { status: 404, html: 'Not Found' };
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        send(response, { status: 500, body: { message: error instanceof Error ? error.message : String(error) } });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  origin = `http://${host}:${address.port}`;
  let closing: Promise<void> | undefined;

  return {
    url: `${origin}${basePath}`,
    id,
    apps: () => state.apps(),
    requests: () => [...requests],
    violations: () => [...violations],
    setFaults(next) {
      faults = next;
      injectedCounts.clear();
    },
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await state.close();
        await runtime.close();
      })();
      return closing;
    },
  };
}

type Answer = StateAnswer & { readonly html?: string; readonly text?: string };

function send(response: ServerResponse, answer: Answer, origin = ''): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers ?? {})) {
    headers[name] = name === 'Location' && value.startsWith('/') ? `${origin}${value}` : value;
  }
  let payload = '';
  if (answer.html !== undefined) {
    headers['Content-Type'] = 'text/html;charset=iso-8859-1';
    payload = jettyErrorPage(answer.status, answer.html);
  } else if (answer.text !== undefined) {
    headers['Content-Type'] = 'text/plain';
    payload = answer.text;
  } else if (answer.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(answer.body);
  }
  if (origin) headers['X-Marathon-Leader'] = origin;
  headers['Cache-Control'] = 'no-cache, no-store, must-revalidate';
  headers.Pragma = 'no-cache';
  response.writeHead(answer.status, headers);
  response.end(payload);
}

function jettyErrorPage(status: number, reason: string): string {
  return `<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n<title>Error ${status} ${reason}</title>\n</head>\n<body><h2>HTTP ERROR ${status}</h2>\n<p>Problem accessing. Reason:\n<pre>    ${reason}</pre></p>\n</body>\n</html>\n`;
}

function checkAuth(auth: MarathonSimulatorAuth, header: string | undefined): Answer | undefined {
  if ('token' in auth) {
    if (header === `token=${auth.token}`) return undefined;
    return { status: 401, html: 'Unauthorized', headers: { 'WWW-Authenticate': 'acsjwt' } };
  }
  const expected = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  if (header === expected) return undefined;
  return {
    status: 401,
    html: 'Unauthorized',
    headers: { 'WWW-Authenticate': `basic realm="${auth.realm ?? 'Mesosphere'}"` },
  };
}

function parseJson(body: string): { value: unknown } | { answer: Answer } {
  if (body.trim() === '') {
    return {
      answer: {
        status: 400,
        body: {
          message: 'Please specify data in JSON format',
          details:
            'No content to map due to end-of-input\n at [Source: (org.eclipse.jetty.server.HttpInputOverHTTP); line: 1, column: 0]',
        },
      },
    };
  }
  try {
    return { value: JSON.parse(body) };
  } catch (error) {
    return { answer: { status: 400, body: { message: 'Invalid JSON', details: (error as Error).message } } };
  }
}

function methodNotAllowed(): Answer {
  return { status: 405, html: 'Method Not Allowed' };
}

function defaultMessage(status: number): string {
  if (status === 503) return 'Could not determine the current leader';
  if (status === 500) return 'An unexpected server error occurred';
  return STATUS_CODES[status] ?? `HTTP ${status}`;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
