import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  createStartInstanceRequest,
  type InstanceHandle,
  type InstanceProgress,
  LatentWorker,
  type LatentWorkerEvents,
  type LatentWorkerOptions,
  type Logger,
  type LogLevel,
  Properties,
  type Provider,
  type StartInstanceRequest,
} from '@latentci/core';
import { attachLatentWorker } from '../attach/attach-latent-worker.js';
import { type AttachServer, DOCKER_BRIDGE_GATEWAY, startAttachServer } from '../attach/attach-server.js';
import { startRealWorkerAttachServer } from '../attach/real-worker-attach-server.js';
import type { CaseContext, ConformanceOptions, WorkerKind } from './options.js';

/** Every event a `LatentWorker` emits: the secrets case listens to all of them. */
const WORKER_EVENTS: readonly (keyof LatentWorkerEvents)[] = [
  'state',
  'log',
  'progress',
  'quarantine-entered',
  'quarantine-left',
  'substantiation-succeeded',
  'substantiation-failed',
  'builds-may-start',
  'connection-dropped',
];

export interface LoggedRecord {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: unknown;
}

/** What a direct `startInstance` reported through its event sink. */
export interface RecordedEvents {
  readonly lines: string[];
  readonly progress: InstanceProgress[];
}

/** A direct contract-level start the case made, owed one stop. */
export interface DirectStart {
  readonly provider: Provider;
  readonly request: StartInstanceRequest;
  readonly events: RecordedEvents;
  instance: InstanceHandle | undefined;
  stopped: boolean;
}

export interface MasterSpec {
  /** The host the worker is told (`BUILDMASTER`). */
  readonly host: string;
  /** A port in `masterFQDN`, if any. */
  readonly port?: number;
  /** `masterPort`: `BUILDMASTER_PORT` when `port` is absent. */
  readonly masterPort: number;
  readonly protocol?: string;
}

/** One case's world: a unique master id, an attach server, the providers and workers it made. */
export class CaseHarness<Settings> {
  readonly caseId: string;
  readonly masterId: string;
  readonly options: ConformanceOptions<Settings>;
  readonly logged: LoggedRecord[] = [];
  readonly logger: Logger;
  /** Everything the workers emitted, for the secrets case. */
  readonly emitted: { readonly event: string; readonly payload: unknown }[] = [];
  readonly directStarts: DirectStart[] = [];
  readonly #workers: LatentWorker[] = [];
  readonly #servers: AttachServer[] = [];
  #server: AttachServer | undefined;
  #names = 0;

  constructor(options: ConformanceOptions<Settings>, caseId: string) {
    this.options = options;
    this.caseId = caseId;
    this.masterId = `latentci-conformance-${randomBytes(4).toString('hex')}`;
    this.logger = {
      log: (level, message, fields) => {
        this.logged.push({ level, message, fields });
      },
    };
  }

  get attachTimeoutMs(): number {
    return (this.options.attachTimeout ?? 60) * 1000;
  }

  get context(): CaseContext {
    return { caseId: this.caseId, masterId: this.masterId, logger: this.logger };
  }

  get masterHost(): string {
    return this.options.backend.masterHost ?? DOCKER_BRIDGE_GATEWAY;
  }

  /** A worker name unique to this case, valid for every backend (lowercase, digits, dashes). */
  workerName(): string {
    this.#names += 1;
    return `cf-${this.masterId.slice(-8)}-${this.#names}`;
  }

  /** A fresh provider for `kind`. */
  provider(kind: WorkerKind = 'attaching'): Provider {
    return this.providerWith(this.options.backend.workerSettings(kind));
  }

  providerWith(settings: Settings): Provider {
    return this.options.createProvider(settings, this.context);
  }

  /** The case's attach server on the backend's master host (started on first use). */
  async server(): Promise<AttachServer> {
    if (!this.#server) {
      const backend = this.options.backend;
      this.#server = await this.#startServer(backend.listenHost ?? this.masterHost);
      this.#servers.push(this.#server);
    }
    return this.#server;
  }

  /** An extra attach server (the IPv6 case). */
  async extraServer(host: string): Promise<AttachServer> {
    const server = await this.#startServer(host);
    this.#servers.push(server);
    return server;
  }

  /** The probe's attach server, or in `realWorker` mode one that answers Buildbot's PB and msgpack logins. */
  #startServer(host: string): Promise<AttachServer> {
    const start = this.options.realWorker === true ? startRealWorkerAttachServer : startAttachServer;
    return start({ host, logger: this.logger });
  }

  /**
   * A `LatentWorker` wired to the attach server: the probe presenting its name and password calls
   * `attached()`. Every event it emits is kept for the secrets case.
   */
  async worker(
    options: Partial<LatentWorkerOptions> & { readonly provider: Provider; readonly server?: AttachServer },
  ): Promise<LatentWorker> {
    const server = options.server ?? (await this.server());
    const { server: _server, ...rest } = options;
    const worker = new LatentWorker({
      name: this.workerName(),
      password: randomPassword(),
      masterId: this.masterId,
      masterFQDN: this.masterHost,
      masterPort: server.port,
      missingTimeout: this.options.attachTimeout ?? 60,
      checkInstanceInterval: 1,
      buildWaitTimeout: 3600,
      logger: this.logger,
      ...rest,
    });
    for (const event of WORKER_EVENTS) {
      worker.on(event, (payload: unknown) => this.emitted.push({ event, payload }));
    }
    attachLatentWorker(server, worker);
    this.#workers.push(worker);
    return worker;
  }

  /** A start request built the way the core builds it, for contract-level cases. */
  request(
    workerName: string,
    password: string,
    master: MasterSpec,
    properties = new Properties(),
  ): StartInstanceRequest {
    const events: RecordedEvents = { lines: [], progress: [] };
    const request = createStartInstanceRequest({
      workerName,
      password,
      masterId: this.masterId,
      master: master.port === undefined ? { host: master.host } : { host: master.host, port: master.port },
      masterPort: master.masterPort,
      ...(master.protocol === undefined ? {} : { masterProtocol: master.protocol }),
      properties,
      events: {
        log: (line) => {
          events.lines.push(line);
        },
        progress: (progress) => {
          events.progress.push(progress);
        },
      },
    });
    recordedEvents.set(request, events);
    return request;
  }

  /** Calls `startInstance` directly and remembers the start so that cleanup can stop it. */
  async startDirect(
    provider: Provider,
    request: StartInstanceRequest,
    signal: AbortSignal = new AbortController().signal,
  ): Promise<DirectStart> {
    const start: DirectStart = {
      provider,
      request,
      events: recordedEvents.get(request) ?? { lines: [], progress: [] },
      instance: undefined,
      stopped: false,
    };
    this.directStarts.push(start);
    start.instance = (await provider.startInstance(request, { signal })) ?? undefined;
    return start;
  }

  /** Calls `stopInstance` for a direct start (with its instance when the start returned one). */
  async stopDirect(start: DirectStart, fast = false): Promise<void> {
    start.stopped = true;
    await start.provider.stopInstance(
      start.instance ? { request: start.request, instance: start.instance } : { request: start.request },
      { fast, signal: new AbortController().signal },
    );
  }

  /**
   * The leak check: polls until the backend lists no instance of this case's master, the provider
   * (`listOrphans`, when capable) agrees, and every worker connection to the attach server closed.
   */
  async assertNoLeaks(): Promise<void> {
    const deadline = Date.now() + (this.options.cleanupTimeout ?? 20) * 1000;
    const owner = { masterId: this.masterId };
    const observer = this.provider();
    for (;;) {
      const signal = AbortSignal.timeout(30_000);
      const listed = await this.options.backend.listInstances(owner, { signal });
      const orphans =
        observer.capabilities.orphanReaping && observer.listOrphans
          ? await observer.listOrphans(owner, { signal })
          : [];
      const open = this.#servers.reduce((sum, server) => sum + server.openConnections, 0);
      if (listed.length === 0 && orphans.length === 0 && open === 0) return;
      if (Date.now() > deadline) {
        const parts: string[] = [];
        if (listed.length > 0) {
          parts.push(
            `the backend still lists ${listed.length} instance(s): ${listed.map((i) => `${i.name ?? i.id} (${i.state ?? 'unknown state'})`).join(', ')}`,
          );
        }
        if (orphans.length > 0)
          parts.push(`listOrphans still reports ${orphans.map((o) => o.name ?? o.id).join(', ')}`);
        if (open > 0)
          parts.push(`${open} worker connection(s) to the attach server are still open (the worker still runs)`);
        assert.fail(
          `[leak check] after the case stopped everything it started, ${parts.join('; ')} — stopInstance must stop and remove the instance and everything created for it (contract: stopInstance)`,
        );
      }
      await sleep(250);
    }
  }

  /** What the case's attach servers saw, for failure messages. */
  describeAttachServers(): string {
    const records = this.#servers.flatMap((server) => server.records);
    if (records.length === 0) return 'no worker connected to the attach server at all';
    return `the attach server saw: ${records
      .map((r) => `"${r.workerName}" from ${r.remoteAddress} (${r.accepted ? 'accepted' : `refused: ${r.rejection}`})`)
      .join(', ')}`;
  }

  /** Best-effort cleanup after the case, also when it failed: shut workers down, stop direct starts, reap, close servers. */
  async cleanup(): Promise<void> {
    const attempts: Promise<unknown>[] = this.#workers.map((worker) => withTimeout(worker.shutdown(), 60_000));
    await Promise.allSettled(attempts);
    await Promise.allSettled(
      this.directStarts
        .filter((start) => !start.stopped)
        .map((start) => withTimeout(this.stopDirect(start, true), 60_000)),
    );
    try {
      const provider = this.provider();
      if (provider.capabilities.orphanReaping && provider.reapOrphans) {
        await provider.reapOrphans({ masterId: this.masterId }, { signal: AbortSignal.timeout(60_000) });
      }
    } catch {
      // Best effort: the leak check reports what matters.
    }
    await Promise.allSettled(this.#servers.map((server) => server.close()));
  }
}

const recordedEvents = new WeakMap<StartInstanceRequest, RecordedEvents>();

/** The five variables, by Buildbot's rules: `BUILDMASTER_PORT` is the port in `masterFQDN`, else `masterPort`. */
export function expectedEnvironment(workerName: string, password: string, master: MasterSpec): Record<string, string> {
  return {
    BUILDMASTER: master.host,
    BUILDMASTER_PORT: String(master.port ?? master.masterPort),
    BUILDMASTER_PROTOCOL: master.protocol ?? 'pb',
    WORKERNAME: workerName,
    WORKERPASS: password,
  };
}

/** 20 characters of `[A-Za-z0-9]`, like the core's generated passwords. */
export function randomPassword(prefix = ''): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(20);
  let password = prefix;
  for (const byte of bytes) password += alphabet[byte % alphabet.length];
  return password.slice(0, Math.max(20, prefix.length + 12));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}

/** Builds `Properties` from a plain object (source `Conformance`). */
export function propertiesOf(values: Readonly<Record<string, unknown>>): Properties {
  const properties = new Properties();
  for (const [name, value] of Object.entries(values)) properties.setProperty(name, value, 'Conformance');
  return properties;
}

/** Every string reachable from `value`: messages, stacks and causes of errors included. */
export function textOf(value: unknown, seen = new Set<unknown>()): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  if (seen.has(value)) return '';
  seen.add(value);
  const parts: string[] = [];
  if (value instanceof Error) {
    parts.push(value.name, value.message, value.stack ?? '', textOf(value.cause, seen));
  }
  for (const [key, item] of Object.entries(value)) parts.push(key, textOf(item, seen));
  return parts.join('\n');
}
