import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { HYPER_SIGNING } from '../signing/constants.js';
import { FaultState, type HyperSimulatorFaults } from './faults.js';
import { HyperEngine, TENANT_LABEL } from './hyper-engine.js';
import { HyperHttpError, writePlainTextError } from './plain-text-error.js';
import type { SimulatorResponse } from './simulator-response.js';
import { type VerificationFailure, verifyHyperSignature } from './verify-signature.js';

/** The API version the simulator speaks, like Hyper's server. */
export const HYPER_API_VERSION = '1.23';

export interface HyperSimulatorOptions {
  /** The accounts: access key → secret key. */
  readonly credentials: Readonly<Record<string, string>>;
  /** The server's region: signatures must be made for it. Default `us-west-1`. */
  readonly region?: string;
  /** Address to listen on: `127.0.0.1` (default) or the Docker bridge gateway `172.17.0.1`. */
  readonly host?: string;
  /** Port to listen on. Default: a free one. */
  readonly port?: number;
  /** The Docker engine the containers run on. Default: the local engine (`DOCKER_HOST` or the unix socket). */
  readonly docker?: Dockerode;
  /** Faults to inject from the start; change them later with `setFaults`. */
  readonly faults?: HyperSimulatorFaults;
  /**
   * Strict mode: every request must verify. Rejected requests are still answered `401`, and
   * `close()` (and `assertAllVerified()`) then fails listing them. Default `false`.
   */
  readonly strict?: boolean;
  /** Also refuse dates more than 5 minutes in the future (Hyper's Go check only refused old ones). Default `true`. */
  readonly rejectFutureDates?: boolean;
}

/** A request that verified, as the simulator logged it. Holds no secret. */
export interface HyperSimulatorRequest {
  readonly method: string;
  /** The path as sent, e.g. `/v1.23/containers/create`. */
  readonly path: string;
  /** The raw query, without `?`. */
  readonly query: string;
  readonly accessKey: string;
  /** `exact` when the Go host rule verified it, `port-stripped` when only the lenient Python-style host did. */
  readonly hostRule: 'exact' | 'port-stripped';
  /** The status answered; absent while the request is in flight. */
  status?: number;
}

/** A request that failed verification. */
export interface HyperSimulatorRejection {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly failure: VerificationFailure;
  /** The plain-text message answered with `401`. */
  readonly message: string;
  readonly accessKey?: string;
}

/** A container of the simulator's account, as a test sees it. */
export interface HyperSimulatorContainer {
  readonly id: string;
  /** The name the client chose (no leading `/`). */
  readonly name: string;
  readonly image: string;
  /** Engine state: `created`, `running`, `exited`… */
  readonly state: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The container's environment (`Config.Env`), as the engine reports it. */
  readonly environment: Readonly<Record<string, string>>;
}

export interface HyperSimulator {
  /** Base URL to give a client as `hyperHost`, e.g. `http://127.0.0.1:43817`. */
  readonly url: string;
  readonly region: string;
  /** Every request that verified, in arrival order. */
  readonly requests: readonly HyperSimulatorRequest[];
  /** Every request that failed verification, in arrival order. */
  readonly rejections: readonly HyperSimulatorRejection[];
  /** Replaces the injected faults. */
  setFaults(faults: HyperSimulatorFaults): void;
  /** Throws unless every request received so far verified. */
  assertAllVerified(): void;
  /** The account's containers on the engine. */
  containers(): Promise<HyperSimulatorContainer[]>;
  /** Stops the server and force-removes the containers still in the account. In strict mode, then fails if any request was rejected. */
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function compareVersions(left: string, right: string): number {
  const [leftMajor = 0, leftMinor = 0] = left.split('.').map(Number);
  const [rightMajor = 0, rightMinor = 0] = right.split('.').map(Number);
  return leftMajor - rightMajor || leftMinor - rightMinor;
}

function send(response: ServerResponse, request: IncomingMessage, answer: SimulatorResponse): void {
  if ('json' in answer) {
    const body = `${JSON.stringify(answer.json)}\n`;
    response.writeHead(answer.status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(body);
  } else if ('raw' in answer) {
    response.writeHead(answer.status, { 'Content-Type': answer.contentType, 'Content-Length': answer.raw.length });
    response.end(answer.raw);
  } else if ('stream' in answer) {
    response.writeHead(answer.status, { 'Content-Type': answer.contentType });
    answer.stream.pipe(response);
    answer.stream.on('error', () => response.destroy());
    request.on('close', () => answer.stream.destroy());
  } else {
    response.writeHead(answer.status);
    response.end();
  }
}

function rejectionsMessage(rejections: readonly HyperSimulatorRejection[]): string {
  const lines = rejections.map((rejection) => `  ${rejection.method} ${rejection.path}: ${rejection.message}`);
  return `the Hyper simulator rejected ${rejections.length} request(s) that failed signature verification:\n${lines.join('\n')}`;
}

/**
 * Starts a Hyper API simulator: a real HTTP server that verifies every request's
 * `HYPER-HMAC-SHA256` signature exactly as Hyper's server did, answers failures as Hyper did
 * (plain text), and runs the Docker API v1.23 calls it supports on a real Docker engine, so
 * containers really run. Images must already exist on the engine (nothing is pulled).
 */
export async function startHyperSimulator(options: HyperSimulatorOptions): Promise<HyperSimulator> {
  const region = options.region ?? HYPER_SIGNING.defaultRegion;
  const credentials = new Map(Object.entries(options.credentials));
  const docker = options.docker ?? new Dockerode();
  const engine = new HyperEngine(docker, randomBytes(4).toString('hex'));
  const faults = new FaultState();
  faults.set(options.faults ?? {});
  const requests: HyperSimulatorRequest[] = [];
  const rejections: HyperSimulatorRejection[] = [];
  const rejectFutureDates = options.rejectFutureDates ?? true;

  async function route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Buffer,
    contentType: string | undefined,
  ) {
    const segments = path
      .split('/')
      .filter((segment) => segment.length > 0)
      .map((segment) => decodeURIComponent(segment));
    const [first, second, third] = segments;
    const key = `${method} ${segments.length === 3 && first === 'containers' ? `containers/{id}/${third}` : segments.length === 2 && first === 'containers' && second !== 'json' && second !== 'create' ? 'containers/{id}' : segments.join('/')}`;
    switch (key) {
      case 'GET version':
        return engine.version();
      case 'GET _ping':
        return { status: 200, raw: Buffer.from('OK'), contentType: 'text/plain; charset=utf-8' } as const;
      case 'GET containers/json':
        return engine.list(query);
      case 'POST containers/create': {
        if (body.length > 0 && !/^application\/json\b/i.test(contentType ?? '')) {
          throw new HyperHttpError(400, `Content-Type specified (${contentType ?? ''}) must be 'application/json'`);
        }
        let parsed: unknown = null;
        if (body.length > 0) {
          try {
            parsed = JSON.parse(body.toString('utf8'));
          } catch {
            throw new HyperHttpError(400, 'Bad parameter: the body is not valid JSON');
          }
        }
        return engine.create(query, parsed);
      }
      case 'GET containers/{id}/json':
        return engine.inspect(second ?? '');
      case 'POST containers/{id}/start':
        return engine.start(second ?? '');
      case 'POST containers/{id}/stop':
        return engine.stop(second ?? '', query);
      case 'POST containers/{id}/kill':
        return engine.kill(second ?? '', query);
      case 'POST containers/{id}/wait':
        return engine.wait(second ?? '');
      case 'GET containers/{id}/logs':
        return engine.logs(second ?? '', query);
      case 'DELETE containers/{id}':
        return engine.remove(second ?? '', query);
      case 'GET images/json':
        return engine.images();
      case 'POST images/create':
        return engine.pull(query);
      default:
        throw new HyperHttpError(404, '404 page not found');
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = (request.method ?? 'GET').toUpperCase();
    const target = request.url ?? '/';
    const questionMark = target.indexOf('?');
    const path = questionMark === -1 ? target : target.slice(0, questionMark);
    const rawQuery = questionMark === -1 ? '' : target.slice(questionMark + 1);
    const body = await readBody(request);
    response.setHeader('Date', new Date(Date.now() + faults.clockSkewMs).toUTCString());

    const verification = verifyHyperSignature({
      method,
      path,
      query: rawQuery,
      headers: request.headers,
      body,
      secretFor: (accessKey) => credentials.get(accessKey),
      region,
      now: new Date(Date.now() + faults.clockSkewMs),
      rejectFutureDates,
    });
    if (!verification.verified) {
      rejections.push({
        method,
        path,
        query: rawQuery,
        failure: verification.failure,
        message: verification.message,
        ...(verification.accessKey === undefined ? {} : { accessKey: verification.accessKey }),
      });
      writePlainTextError(response, 401, verification.message);
      return;
    }
    const record: HyperSimulatorRequest = {
      method,
      path,
      query: rawQuery,
      accessKey: verification.accessKey,
      hostRule: verification.hostRule,
    };
    requests.push(record);
    response.on('finish', () => {
      record.status = response.statusCode;
    });

    if (faults.latencyMs > 0) await delay(faults.latencyMs);

    const versioned = /^\/v(\d+(?:\.\d+)?)(\/.*)?$/.exec(path);
    const unversioned = versioned ? (versioned[2] ?? '/') : path;
    const injected = faults.take(method, unversioned);
    if (injected) {
      if (injected.status === 304 || injected.status === 204) {
        response.writeHead(injected.status);
        response.end();
      } else {
        writePlainTextError(response, injected.status, injected.message ?? STATUS_CODES[injected.status] ?? 'Error');
      }
      return;
    }
    if (versioned?.[1] && compareVersions(versioned[1], HYPER_API_VERSION) > 0) {
      writePlainTextError(
        response,
        400,
        `client is newer than server (client API version: ${versioned[1]}, server API version: ${HYPER_API_VERSION})`,
      );
      return;
    }
    const contentType = request.headers['content-type'];
    const answer = await route(method, unversioned, new URLSearchParams(rawQuery), body, contentType);
    if ('stream' in answer) {
      // Every engine-side stream (followed logs) ends with close(), with its client, or at once
      // when the client (or the simulator) is already gone.
      const stream = answer.stream;
      if (closing || response.destroyed) {
        stream.destroy();
        return;
      }
      engineStreams.add(stream);
      stream.on('close', () => engineStreams.delete(stream));
      response.on('close', () => stream.destroy());
    }
    send(response, request, answer);
  }

  const engineStreams = new Set<{ destroy(): void }>();
  let closing = false;
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof HyperHttpError) writePlainTextError(response, error.status, error.message);
      else writePlainTextError(response, 500, error instanceof Error ? error.message : String(error));
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  function assertAllVerified(): void {
    if (rejections.length > 0) throw new Error(rejectionsMessage(rejections));
  }

  return {
    url,
    region,
    requests,
    rejections,
    setFaults: (next) => faults.set(next),
    assertAllVerified,
    async containers() {
      const listed = await engine.tenantContainers();
      return Promise.all(
        listed.map(async (container) => {
          const labels = { ...container.Labels };
          delete labels[TENANT_LABEL];
          const inspected = await docker
            .getContainer(container.Id)
            .inspect()
            .catch(() => undefined);
          const environment = Object.fromEntries(
            (inspected?.Config.Env ?? []).map((entry) => {
              const equals = entry.indexOf('=');
              return equals === -1 ? [entry, ''] : [entry.slice(0, equals), entry.slice(equals + 1)];
            }),
          );
          return {
            id: container.Id,
            name: engine.rename((container.Names[0] ?? '').replace(/^\//, '')),
            image: container.Image,
            state: container.State,
            labels,
            environment,
          };
        }),
      );
    },
    async close() {
      closing = true;
      for (const stream of engineStreams) stream.destroy();
      engineStreams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await engine.removeAll();
      if (options.strict) assertAllVerified();
    },
  };
}
