import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ClusterStore, type StoredObject, type WatchEvent } from './cluster-store.js';
import { createDockerRuntime } from './docker-runtime.js';
import { parseFieldSelector, parseLabelSelector, SelectorSyntaxError } from './label-selector.js';
import { type ObjectKind, validateObject } from './object-validation.js';
import { PodLifecycle, podSpec, podStatus } from './pod-lifecycle.js';
import type { PodRuntime } from './runtime.js';
import type {
  KubernetesSimulatorFaults,
  KubernetesSimulatorOptions,
  PolicyRule,
  RecordedRequest,
} from './simulator-options.js';
import { alreadyExists, failureStatus, invalid, type KubernetesStatus, notFound } from './status.js';
import { createVirtualRuntime } from './virtual-runtime.js';

/** A running Kubernetes API simulator. */
export interface KubernetesSimulator {
  /** Base URL, e.g. `http://127.0.0.1:40123` (`https://` with `tls`). */
  readonly url: string;
  /** This simulator's id (label value of its containers). */
  readonly id: string;
  /** Every stored pod (copies). */
  pods(namespace?: string): StoredObject[];
  /** Every stored secret (copies). */
  secrets(namespace?: string): StoredObject[];
  /** Creates a namespace. */
  createNamespace(name: string): void;
  /** Replaces the faults. */
  setFaults(faults: KubernetesSimulatorFaults): void;
  /** Every request served so far. */
  requests(): readonly RecordedRequest[];
  /** Stops serving, deletes every pod's container. */
  close(): Promise<void>;
}

const RESOURCES: Readonly<Record<string, ObjectKind>> = { pods: 'Pod', secrets: 'Secret', namespaces: 'Namespace' };
const POD_FIELDS = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase'];
const SECRET_FIELDS = ['metadata.name', 'metadata.namespace', 'type'];
const DEFAULT_NODE_LABELS = {
  'kubernetes.io/os': 'linux',
  'kubernetes.io/arch': 'amd64',
  'kubernetes.io/hostname': 'latentci-simulated-node',
};

class HttpError extends Error {
  constructor(readonly status: KubernetesStatus) {
    super(status.message);
  }
}

/**
 * Starts a simulator of the core/v1 part of the Kubernetes API that latent workers use: pods
 * (create, get, list and watch with label and field selectors, delete with a grace period, log
 * with follow), secrets and namespaces, with the API server's `Status` answers, bearer-token and
 * client-certificate authentication with RBAC rules, and every created object validated against
 * Kubernetes' OpenAPI schema (422 Invalid with causes). Pods run on the `docker` runtime (real
 * containers) or the `virtual` one.
 */
export async function startKubernetesSimulator(options: KubernetesSimulatorOptions): Promise<KubernetesSimulator> {
  const id = randomBytes(4).toString('hex');
  const store = new ClusterStore(options.watchHistory ?? 10_000);
  const runtime: PodRuntime =
    options.runtime === 'docker'
      ? createDockerRuntime({ simulatorId: id, ...(options.docker ? { docker: options.docker } : {}) })
      : createVirtualRuntime();
  let faults: KubernetesSimulatorFaults = options.faults ?? {};
  const injectedCounts = new Map<object, number>();
  const lifecycle = new PodLifecycle(store, runtime, () => faults, options.nodeLabels ?? DEFAULT_NODE_LABELS);
  const recorded: RecordedRequest[] = [];
  const openResponses = new Set<ServerResponse>();
  for (const name of options.namespaces ?? ['default', 'kube-system', 'kube-public']) createNamespace(name);

  function createNamespace(name: string): void {
    if (store.get('namespaces', undefined, name)) return;
    store.create('namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }

  function authenticate(request: IncomingMessage): { name: string; rules?: readonly PolicyRule[] } | undefined {
    const auth = options.auth;
    if (!auth) return { name: 'system:admin' };
    const header = request.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      const user = auth.tokens?.[header.slice(7).trim()];
      if (user) return user;
      return undefined;
    }
    const socket = request.socket as TLSSocket;
    if (auth.certificateUsers && socket.encrypted && socket.authorized) {
      const name = String(socket.getPeerCertificate().subject?.CN ?? '');
      if (name in auth.certificateUsers) {
        const rules = auth.certificateUsers[name];
        return rules === undefined ? { name } : { name, rules };
      }
    }
    return undefined;
  }

  function injectedError(method: string, path: string): KubernetesStatus | undefined {
    for (const injected of faults.errors ?? []) {
      if (injected.method && injected.method !== method) continue;
      if (injected.path && !path.includes(injected.path)) continue;
      const used = injectedCounts.get(injected) ?? 0;
      if (injected.times !== undefined && used >= injected.times) continue;
      injectedCounts.set(injected, used + 1);
      const retryAfterSeconds = injected.retryAfterSeconds ?? (injected.status === 429 ? 1 : undefined);
      const message =
        injected.status === 409
          ? 'Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again'
          : injected.status === 429
            ? 'Too many requests, please try again later.'
            : injected.status === 503
              ? 'the server is currently unable to handle the request'
              : 'an error on the server ("injected fault") has prevented the request from succeeding';
      return failureStatus(injected.status, message, {
        ...(injected.status === 409 ? { reason: 'Conflict' } : {}),
        ...(retryAfterSeconds === undefined ? {} : { details: { retryAfterSeconds } }),
      });
    }
    return undefined;
  }

  const handler = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://simulator');
    const method = request.method ?? 'GET';
    let user: string | undefined;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      recorded.push({ method, path: url.pathname, query: url.search, status, ...(user ? { user } : {}) });
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    try {
      if (faults.latency) await new Promise((resolve) => setTimeout(resolve, faults.latency));
      const identity = authenticate(request);
      if (!identity) throw new HttpError(failureStatus(401, 'Unauthorized'));
      user = identity.name;
      const injected = injectedError(method, url.pathname);
      if (injected) {
        const retry = injected.details?.retryAfterSeconds;
        send(injected.code, injected, retry === undefined ? {} : { 'retry-after': String(retry) });
        return;
      }
      const route = parseRoute(url.pathname);
      if (!route) {
        if (url.pathname === '/version')
          return send(200, { major: '1', minor: '33', gitVersion: 'v1.33.0-latentci-simulator' });
        if (url.pathname === '/api')
          return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
        throw new HttpError(failureStatus(404, 'the server could not find the requested resource'));
      }
      const watching = method === 'GET' && ['true', '1'].includes(url.searchParams.get('watch') ?? '');
      const verb = verbOf(method, route.name !== undefined, watching);
      const resourceName = route.subresource ? `${route.resource}/${route.subresource}` : route.resource;
      if (!allowed(identity.rules, verb, resourceName)) {
        const subject = route.name === undefined ? route.resource : `${route.resource} "${route.name}"`;
        const scope = route.namespace === undefined ? 'at the cluster scope' : `in the namespace "${route.namespace}"`;
        throw new HttpError(
          failureStatus(
            403,
            `${subject} is forbidden: User "${identity.name}" cannot ${verb} resource "${resourceName}" in API group "" ${scope}`,
            { details: { ...(route.name === undefined ? {} : { name: route.name }), kind: route.resource } },
          ),
        );
      }
      if (
        route.namespace !== undefined &&
        route.resource !== 'namespaces' &&
        !store.get('namespaces', undefined, route.namespace)
      ) {
        if (method === 'POST') throw new HttpError(notFound('namespaces', route.namespace));
      }
      if (watching) return watch(route, url, request, response);
      if (route.subresource === 'log' && method === 'GET') return await podLog(route, url, response, () => user);
      if (route.subresource !== undefined)
        throw new HttpError(failureStatus(404, 'the server could not find the requested resource'));
      const [status, body] = await serve(method, route, url, request);
      send(status, body);
    } catch (error) {
      if (error instanceof HttpError) {
        send(error.status.code, error.status);
        return;
      }
      if (error instanceof SelectorSyntaxError) {
        send(400, failureStatus(400, error.message));
        return;
      }
      send(500, failureStatus(500, error instanceof Error ? error.message : String(error)));
    }
  };

  async function serve(method: string, route: Route, url: URL, request: IncomingMessage): Promise<[number, unknown]> {
    const { resource, namespace, name } = route;
    const kind = RESOURCES[resource] as ObjectKind;
    if (name === undefined) {
      if (method === 'GET') return [200, list(route, url)];
      if (method === 'POST') return [201, create(route, kind, await readJson(request))];
      throw new HttpError(failureStatus(405, `the server does not allow this method on the requested resource`));
    }
    const object = store.get(resource, resource === 'namespaces' ? undefined : namespace, name);
    if (!object) throw new HttpError(notFound(resource, name));
    if (method === 'GET') return [200, object];
    if (method === 'DELETE') {
      const body = ((await readJson(request).catch(() => undefined)) ?? {}) as { gracePeriodSeconds?: number };
      const query = url.searchParams.get('gracePeriodSeconds');
      if (resource === 'pods') {
        const grace =
          query !== null
            ? Number(query)
            : (body.gracePeriodSeconds ?? podSpec(object).terminationGracePeriodSeconds ?? 30);
        if (!object.metadata.deletionTimestamp || grace < (object.metadata.deletionGracePeriodSeconds ?? 30)) {
          lifecycle.delete(object, Math.max(0, grace));
        }
        return [200, store.get('pods', namespace, name) ?? object];
      }
      store.remove(resource, object);
      return [
        200,
        {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, kind: resource, uid: object.metadata.uid },
        },
      ];
    }
    throw new HttpError(failureStatus(405, 'the server does not allow this method on the requested resource'));
  }

  function create(route: Route, kind: ObjectKind, body: unknown): StoredObject {
    if (typeof body !== 'object' || body === null)
      throw new HttpError(failureStatus(400, 'the body of the request was in an unknown format'));
    const object = body as StoredObject;
    const given = (object.metadata ?? {}) as StoredObject['metadata'];
    if (route.namespace !== undefined && given.namespace !== undefined && given.namespace !== route.namespace) {
      throw new HttpError(
        failureStatus(400, 'the namespace of the provided object does not match the namespace sent on the request'),
      );
    }
    const causes = validateObject(kind, { ...object, apiVersion: 'v1', kind });
    const name =
      typeof given.name === 'string' && given.name !== ''
        ? given.name
        : `${given.generateName ?? ''}${randomBytes(3).toString('hex').slice(0, 5)}`;
    if (causes.length > 0) throw new HttpError(invalid(kind, name, causes));
    if (store.get(route.resource, route.namespace, name)) throw new HttpError(alreadyExists(route.resource, name));
    const {
      uid: _uid,
      resourceVersion: _version,
      creationTimestamp: _created,
      deletionTimestamp: _deleted,
      ...metadata
    } = given;
    const stored: StoredObject = {
      ...structuredClone(object),
      apiVersion: 'v1',
      kind,
      metadata: {
        ...structuredClone(metadata),
        name,
        ...(route.namespace === undefined ? {} : { namespace: route.namespace }),
      } as StoredObject['metadata'],
    };
    if (kind === 'Secret') {
      const { stringData, ...rest } = stored as StoredObject & {
        stringData?: Record<string, string>;
        data?: Record<string, string>;
      };
      const data = { ...(rest.data ?? {}) };
      for (const [key, value] of Object.entries(stringData ?? {})) data[key] = Buffer.from(value).toString('base64');
      Object.assign(stored, { type: (rest as { type?: string }).type ?? 'Opaque', data });
      delete (stored as { stringData?: unknown }).stringData;
    }
    if (kind === 'Pod') PodLifecycle.admit(stored);
    const created = store.create(route.resource, stored);
    if (kind === 'Pod') lifecycle.start(created);
    if (kind === 'Secret') lifecycle.secretCreated();
    return created;
  }

  function matching(route: Route, url: URL): (object: StoredObject) => boolean {
    const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
    const fields = parseFieldSelector(
      url.searchParams.get('fieldSelector'),
      route.resource === 'pods' ? POD_FIELDS : SECRET_FIELDS,
    );
    return (object) =>
      (route.namespace === undefined ||
        route.resource === 'namespaces' ||
        object.metadata.namespace === route.namespace) &&
      labels(object.metadata.labels) &&
      fields({
        'metadata.name': object.metadata.name,
        'metadata.namespace': object.metadata.namespace ?? '',
        'spec.nodeName': String((object.spec as { nodeName?: string } | undefined)?.nodeName ?? ''),
        'status.phase': String((object.status as { phase?: string } | undefined)?.phase ?? ''),
        type: String(object.type ?? ''),
      });
  }

  function list(route: Route, url: URL): unknown {
    const matches = matching(route, url);
    const items = store.list(route.resource).filter(matches);
    return {
      kind: `${RESOURCES[route.resource]}List`,
      apiVersion: 'v1',
      metadata: { resourceVersion: store.resourceVersion },
      items,
    };
  }

  function watch(route: Route, url: URL, request: IncomingMessage, response: ServerResponse): void {
    const matches = matching(route, url);
    const requested = url.searchParams.get('resourceVersion');
    recorded.push({ method: 'GET', path: url.pathname, query: url.search, status: 200 });
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    openResponses.add(response);
    const write = (type: string, object: unknown) => response.write(`${JSON.stringify({ type, object })}\n`);
    const relevant = (event: WatchEvent) => event.resource === route.resource && matches(event.object as StoredObject);
    const from = requested === null || requested === '' || requested === '0' ? undefined : Number(requested);
    if (from !== undefined && (!Number.isFinite(from) || from < store.oldestWatchable)) {
      write(
        'ERROR',
        failureStatus(410, `too old resource version: ${requested} (${store.oldestWatchable})`, { reason: 'Expired' }),
      );
      response.end();
      openResponses.delete(response);
      return;
    }
    if (from === undefined) {
      for (const object of store.list(route.resource).filter(matches)) write('ADDED', object);
    } else {
      for (const event of store.since(from)) if (relevant(event)) write(event.type, event.object);
    }
    const unsubscribe = store.subscribe((event) => {
      if (relevant(event)) write(event.type, event.object);
    });
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? '1800');
    const timers = [setTimeout(() => response.end(), timeoutSeconds * 1000)];
    if (faults.dropWatchesAfter !== undefined)
      timers.push(setTimeout(() => response.destroy(), faults.dropWatchesAfter));
    const close = () => {
      unsubscribe();
      for (const timer of timers) clearTimeout(timer);
      openResponses.delete(response);
    };
    response.on('close', close);
    request.on('close', close);
  }

  async function podLog(
    route: Route,
    url: URL,
    response: ServerResponse,
    user: () => string | undefined,
  ): Promise<void> {
    const pod = store.get('pods', route.namespace, route.name ?? '');
    if (!pod) throw new HttpError(notFound('pods', route.name ?? ''));
    const containers = podSpec(pod).containers;
    let containerName = url.searchParams.get('container');
    if (containerName === null) {
      if (containers.length !== 1) {
        throw new HttpError(
          failureStatus(
            400,
            `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${containers.map((c) => c.name).join(' ')}]`,
          ),
        );
      }
      containerName = containers[0]?.name ?? '';
    }
    const index = containers.findIndex((container) => container.name === containerName);
    if (index === -1)
      throw new HttpError(failureStatus(400, `container ${containerName} is not valid for pod ${pod.metadata.name}`));
    const state = podStatus(pod).containerStatuses?.[index]?.state;
    if (!state || 'waiting' in state) {
      const reason = state && 'waiting' in state ? state.waiting.reason : 'ContainerCreating';
      const why =
        reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : reason;
      throw new HttpError(
        failureStatus(400, `container "${containerName}" in pod "${pod.metadata.name}" is waiting to start: ${why}`),
      );
    }
    const tail = url.searchParams.get('tailLines');
    const follow = ['true', '1'].includes(url.searchParams.get('follow') ?? '');
    const stream =
      index === 0
        ? await runtime.logs(pod.metadata.uid, { follow, ...(tail === null ? {} : { tailLines: Number(tail) }) })
        : undefined;
    recorded.push({
      method: 'GET',
      path: url.pathname,
      query: url.search,
      status: 200,
      ...(user() ? { user: user() as string } : {}),
    });
    response.writeHead(200, { 'content-type': 'text/plain' });
    if (!stream) {
      response.end();
      return;
    }
    openResponses.add(response);
    stream.pipe(response);
    response.on('close', () => {
      stream.destroy();
      openResponses.delete(response);
    });
  }

  const listener = (request: IncomingMessage, response: ServerResponse) => void handler(request, response);
  const server: Server = options.tls
    ? createHttpsServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          ...(options.tls.clientCa ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
        },
        listener,
      )
    : createHttpServer(listener);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    id,
    pods: (namespace) => structuredClone(store.list('pods', namespace)),
    secrets: (namespace) => structuredClone(store.list('secrets', namespace)),
    createNamespace,
    setFaults(next) {
      faults = next;
      injectedCounts.clear();
    },
    requests: () => [...recorded],
    async close() {
      for (const response of openResponses) response.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await lifecycle.settle();
      await runtime.close();
    },
  };
}

interface Route {
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

/** `/api/v1/namespaces/{ns}/pods/{name}/log`, `/api/v1/pods`, `/api/v1/namespaces/{name}`… */
function parseRoute(path: string): Route | undefined {
  const segments = path.replace(/\/+$/, '').split('/').slice(1).map(decodeURIComponent);
  if (segments[0] !== 'api' || segments[1] !== 'v1') return undefined;
  const rest = segments.slice(2);
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const [, namespace, resource, name, subresource] = rest as [string, string, string, string?, string?];
    if (!(resource in RESOURCES) || resource === 'namespaces' || rest.length > 5) return undefined;
    return {
      resource,
      namespace,
      ...(name === undefined ? {} : { name }),
      ...(subresource === undefined ? {} : { subresource }),
    };
  }
  const [resource, name] = rest as [string?, string?];
  if (resource === undefined || !(resource in RESOURCES) || rest.length > 2) return undefined;
  if (resource === 'namespaces') return { resource, ...(name === undefined ? {} : { name, namespace: name }) };
  return name === undefined ? { resource } : undefined;
}

function verbOf(method: string, named: boolean, watching: boolean): string {
  if (watching) return 'watch';
  switch (method) {
    case 'GET':
      return named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    default:
      return method.toLowerCase();
  }
}

function allowed(rules: readonly PolicyRule[] | undefined, verb: string, resource: string): boolean {
  if (rules === undefined) return true;
  return rules.some(
    (rule) =>
      (rule.verbs.includes('*') || rule.verbs.includes(verb)) &&
      (rule.resources.includes('*') || rule.resources.includes(resource)),
  );
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(failureStatus(400, `json: ${(error as Error).message}`));
  }
}
