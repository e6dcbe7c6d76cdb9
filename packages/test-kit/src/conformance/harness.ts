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
  type OrphanInstance,
  type OwnerFilter,
  Properties,
  type Provider,
  type StartInstanceRequest,
} from '@latentci/core';
import { attachLatentWorker } from '../attach/attach-latent-worker.js';
import { type AttachServer, DOCKER_BRIDGE_GATEWAY, startAttachServer } from '../attach/attach-server.js';
import { startRealWorkerAttachServer } from '../attach/real-worker-attach-server.js';
import type { BackendInstance, CaseContext, ConformanceOptions, WorkerKind } from './options.js';

/** Every event a `LatentWorker` emits: the secrets case listens to all of them. */
const WORKER_EVENTS: readonly (keyof LatentWorkerEvents)[] = [
  'state',
  'log',
  'progress',
  'quarantine-entered',
  'quarantine-left',
  'instance-pending',
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

/** A provider hook call in progress, watched for hangs. */
interface HookCall {
  readonly hook: string;
  readonly worker: string | undefined;
  readonly startedAt: number;
  readonly deadlineMs: number;
}

/** The provider hooks the harness watches for hangs. */
const WATCHED_HOOKS = new Set([
  'startInstance',
  'stopInstance',
  'checkInstance',
  'renderStartSettings',
  'listOrphans',
  'reapOrphans',
]);

/** What the suite prints instead of a worker password. */
export const REDACTED = '<redacted>';

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
  /** Every password the case made: the suite's own failure messages never show them. */
  readonly #secrets = new Set<string>();
  readonly #calls = new Set<HookCall>();
  #server: AttachServer | undefined;
  /** The provider the leak checks ask for `listOrphans` (one per case, made on first use). */
  #observer: Provider | undefined;
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

  /** Seconds any one hook call (except a start) may take: `hookTimeout`, default 30. */
  get hookTimeoutMs(): number {
    return (this.options.hookTimeout ?? 30) * 1000;
  }

  get cleanupTimeoutMs(): number {
    return (this.options.cleanupTimeout ?? 20) * 1000;
  }

  /** A fresh worker password the suite redacts from its own messages. */
  password(prefix = ''): string {
    const password = randomPassword(prefix);
    this.#secrets.add(password);
    return password;
  }

  /** `text` with every password of this case replaced by {@link REDACTED}. */
  redact(text: string): string {
    let clean = text;
    for (const secret of this.#secrets) clean = clean.split(secret).join(REDACTED);
    return clean;
  }

  /** The error with the case's passwords redacted from its message, stack and assertion values. */
  redactError(error: unknown): unknown {
    if (!(error instanceof Error)) return typeof error === 'string' ? this.redact(error) : error;
    error.message = this.redact(error.message);
    if (error.stack) error.stack = this.redact(error.stack);
    const values = error as { actual?: unknown; expected?: unknown };
    for (const key of ['actual', 'expected'] as const) {
      if (key in values && [...this.#secrets].some((secret) => textOf(values[key]).includes(secret))) {
        values[key] = REDACTED;
      }
    }
    return error;
  }

  /**
   * Rejects with an `AssertionError` naming the hook as soon as one provider hook call has been
   * in progress longer than its deadline. `stop()` ends the watch.
   */
  watchHangs(): { readonly hung: Promise<never>; stop(): void } {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setInterval(() => {
        const now = Date.now();
        for (const call of this.#calls) {
          if (now - call.startedAt <= call.deadlineMs) continue;
          clearInterval(timer);
          const seconds = (call.deadlineMs / 1000).toFixed(call.deadlineMs % 1000 === 0 ? 0 : 1);
          reject(
            new assert.AssertionError({
              message: `[hang] ${call.hook}()${call.worker ? ` for ${call.worker}` : ''} has not returned after ${((now - call.startedAt) / 1000).toFixed(1)} s (the suite waits ${seconds} s for ${call.hook}: ${call.hook === 'startInstance' ? 'attachTimeout + hookTimeout' : 'hookTimeout'}); every hook must settle: bound each backend call and honour the signal. The case's cleanup still runs.`,
            }),
          );
          return;
        }
      }, 100);
    });
    hung.catch(() => {});
    return { hung, stop: () => clearInterval(timer) };
  }

  /** Wraps a provider so that every hook call is watched for hangs. */
  #watched(provider: Provider): Provider {
    if (provider === null || typeof provider !== 'object') return provider;
    return new Proxy(provider, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        if (typeof property !== 'string' || !WATCHED_HOOKS.has(property) || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const call: HookCall = {
            hook: property,
            worker: workerOfCall(property, args),
            startedAt: Date.now(),
            deadlineMs: property === 'startInstance' ? this.attachTimeoutMs + this.hookTimeoutMs : this.hookTimeoutMs,
          };
          this.#calls.add(call);
          let result: unknown;
          try {
            result = (value as (...a: unknown[]) => unknown).apply(target, args);
          } catch (error) {
            this.#calls.delete(call);
            throw error;
          }
          if (result && typeof (result as Promise<unknown>).then === 'function') {
            (result as Promise<unknown>).then(
              () => this.#calls.delete(call),
              () => this.#calls.delete(call),
            );
          } else {
            this.#calls.delete(call);
          }
          return result;
        };
      },
    });
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
    return this.#watched(this.options.createProvider(settings, this.context));
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
    if (options.password) this.#secrets.add(options.password);
    const worker = new LatentWorker({
      name: this.workerName(),
      password: this.password(),
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
    onEvent?: () => void,
  ): StartInstanceRequest {
    this.#secrets.add(password);
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
          onEvent?.();
        },
        progress: (progress) => {
          events.progress.push(progress);
          onEvent?.();
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
    const instance = await provider.startInstance(request, { signal });
    if (!instance) {
      assert.fail(
        `[startInstance] resolved ${String(instance)} instead of an instance: a start resolves an instance or rejects (throw FailedToSubstantiateError for "not now"); it never resolves "refused" (contract: startInstance)`,
      );
    }
    start.instance = instance;
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
    const deadline = Date.now() + this.cleanupTimeoutMs;
    for (;;) {
      const { listed, orphans } = await this.remains({ masterId: this.masterId });
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

  /** What the backend lists and the provider's `listOrphans` (when capable) reports for `owner` now. */
  async remains(
    owner: OwnerFilter,
  ): Promise<{ listed: readonly BackendInstance[]; orphans: readonly OrphanInstance[] }> {
    const signal = AbortSignal.timeout(30_000);
    this.#observer ??= this.provider();
    const observer = this.#observer;
    const listed = await this.options.backend.listInstances(owner, { signal });
    const orphans =
      observer.capabilities.orphanReaping && observer.listOrphans ? await observer.listOrphans(owner, { signal }) : [];
    return { listed, orphans };
  }

  /** What the case's attach servers saw, for failure messages. */
  describeAttachServers(): string {
    const records = this.#servers.flatMap((server) => server.records);
    if (records.length === 0) return 'no worker connected to the attach server at all';
    return `the attach server saw: ${records
      .map((r) => `"${r.workerName}" from ${r.remoteAddress} (${r.accepted ? 'accepted' : `refused: ${r.rejection}`})`)
      .join(', ')}`;
  }

  /**
   * Best-effort cleanup after the case, also when it failed or hung: shut workers down, stop direct
   * starts, reap, close servers. Each step waits at most `hookTimeout` (a hung hook does not hold
   * the case until the runner's timeout).
   */
  async cleanup(options: { readonly failed?: boolean } = {}): Promise<void> {
    const bound = this.hookTimeoutMs;
    const attempts: Promise<unknown>[] = this.#workers.map((worker) => withTimeout(worker.shutdown(), bound));
    await Promise.allSettled(attempts);
    await Promise.allSettled(
      this.directStarts
        .filter((start) => !start.stopped)
        .map((start) => withTimeout(this.stopDirect(start, true), bound)),
    );
    // After a failed case, reap twice: a create call the provider abandoned may still be finishing.
    for (const delay of options.failed ? [0, 2000] : [0]) {
      await sleep(delay);
      try {
        const provider = this.provider();
        if (provider.capabilities.orphanReaping && provider.reapOrphans) {
          await withTimeout(
            provider.reapOrphans({ masterId: this.masterId }, { signal: AbortSignal.timeout(bound) }),
            bound,
          );
        }
      } catch {
        // Best effort: the leak check reports what matters.
      }
    }
    await Promise.allSettled(this.#servers.map((server) => server.close()));
  }
}

function workerOfCall(hook: string, args: readonly unknown[]): string | undefined {
  const first = args[0] as
    | { workerName?: unknown; request?: { workerName?: unknown }; name?: unknown; id?: unknown }
    | undefined;
  if (!first || typeof first !== 'object') return undefined;
  const name =
    hook === 'startInstance'
      ? first.workerName
      : hook === 'stopInstance'
        ? first.request?.workerName
        : hook === 'checkInstance'
          ? (first.name ?? first.id)
          : (first as { workerName?: unknown }).workerName;
  if (typeof name !== 'string') return undefined;
  return hook === 'checkInstance' ? `instance "${name}"` : `worker "${name}"`;
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
