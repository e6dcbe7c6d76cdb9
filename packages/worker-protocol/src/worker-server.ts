import { type Logger, publishOutput, Redactor, silentLogger } from '@latentci/core';
import { type MsgpackListenerLimits, startMsgpackListener } from './msgpack/msgpack-listener.js';
import { startPbListener } from './pb/pb-listener.js';
import type { LoginAuthority, ProtocolChannel } from './protocol-channel.js';
import { WorkerConnection, type WorkerConnectionOptions } from './worker-connection.js';

export interface ListenAddress {
  /** Interface to bind (default `127.0.0.1`). */
  readonly host?: string;
  /** Port; `0` picks a free one. */
  readonly port: number;
}

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

export interface WorkerServerOptions extends Omit<WorkerConnectionOptions, 'builderDirectory'> {
  /** Listen for PB (Twisted Perspective Broker, the default protocol of buildbot-worker). */
  readonly pb?: ListenAddress;
  /** Listen for msgpack_experimental_v7 (WebSocket). */
  readonly msgpack?: ListenAddress;
  /** Aborting closes the server. */
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
  /** Passwords are registered here so that they never reach logs, errors or events. */
  readonly redactor?: Redactor;
  /** Seconds a new connection has to authenticate (default 30). */
  readonly loginTimeout?: number;
  /** Connections not yet authenticated, at most, per protocol (default 100). */
  readonly maxPendingLogins?: number;
  /** Seconds the old connection of a worker logging in again has to answer a ping (default 10, as Buildbot). */
  readonly duplicatePingTimeout?: number;
}

export interface WorkerRegistration {
  readonly name: string;
  /** The password, or a function read at each login (auto passwords of latent workers). */
  readonly password: string | (() => string | Promise<string>);
  /** The builder directory commands run in, relative to the worker's basedir (default `latentci`). */
  readonly builderDirectory?: string;
  /**
   * Runs during the login, after the worker was prepared and before it is told it logged in; if it
   * throws, the login is refused (as Buildbot refuses a latent worker that is not substantiating).
   */
  readonly onAttach?: (connection: WorkerConnection) => Promise<void>;
}

export interface WorkerServerEvents {
  connect: { readonly connection: WorkerConnection };
  disconnect: { readonly connection: WorkerConnection; readonly reason: Error | undefined };
}

export interface WorkerServer {
  /** The bound addresses, one per protocol listened on. */
  readonly addresses: { readonly pb?: BoundAddress; readonly msgpack?: BoundAddress };
  addWorker(registration: WorkerRegistration): void;
  /** Forgets a worker; its connection, if any, stays until it closes. */
  removeWorker(name: string): void;
  /** The connection of an attached worker. */
  connection(name: string): WorkerConnection | undefined;
  readonly connections: readonly WorkerConnection[];
  /** Resolves with the worker's connection once it is attached (at once when it already is). */
  waitForWorker(name: string, options?: { signal?: AbortSignal }): Promise<WorkerConnection>;
  on<K extends keyof WorkerServerEvents>(event: K, listener: (payload: WorkerServerEvents[K]) => void): () => void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

interface Listener {
  readonly address: BoundAddress;
  close(): Promise<void>;
}

/** Signature of the msgpack listener factory (`src/msgpack/msgpack-listener.ts`). */
export type MsgpackListenerFactory = (options: {
  host: string;
  port: number;
  authority: LoginAuthority;
  onChannel(channel: ProtocolChannel): void;
  logger?: Logger;
  redactor?: Redactor;
  limits?: MsgpackListenerLimits;
}) => Promise<Listener>;

/**
 * Starts the master side of the worker protocols: workers log in with the name and password
 * registered by `addWorker`, and each login becomes a `WorkerConnection`.
 */
export async function startWorkerServer(
  options: WorkerServerOptions & { msgpackListener?: MsgpackListenerFactory } = {},
): Promise<WorkerServer> {
  const logger = options.logger ?? silentLogger;
  const redactor = options.redactor ?? new Redactor();
  const safeLogger: Logger = {
    log: (level, message, fields) => {
      const text = redactor.redact(message);
      const cleanFields = fields ? redactor.redactValue(fields) : undefined;
      publishOutput('log', 'worker-protocol', cleanFields ? `${text} ${JSON.stringify(cleanFields)}` : text);
      logger.log(level, text, cleanFields);
    },
  };
  const registrations = new Map<string, WorkerRegistration>();
  const connections = new Map<string, WorkerConnection>();
  const listeners: { [K in keyof WorkerServerEvents]: Set<(payload: WorkerServerEvents[K]) => void> } = {
    connect: new Set(),
    disconnect: new Set(),
  };
  const emit = <K extends keyof WorkerServerEvents>(event: K, payload: WorkerServerEvents[K]) => {
    const reason = 'reason' in payload ? (payload as { reason?: Error }).reason : undefined;
    publishOutput(
      'event',
      'worker-protocol',
      `${event} ${payload.connection.name}${reason ? `: ${reason.message}` : ''}`,
    );
    for (const listener of listeners[event]) {
      try {
        listener(payload);
      } catch (error) {
        safeLogger.log('error', `a ${event} listener threw: ${String(error)}`);
      }
    }
  };
  const duplicatePingTimeout = (options.duplicatePingTimeout ?? 10) * 1000;
  let closing = false;

  const authority: LoginAuthority = {
    async passwordFor(name) {
      const registration = registrations.get(name);
      if (!registration || closing) return undefined;
      const password =
        typeof registration.password === 'function' ? await registration.password() : registration.password;
      redactor.add(password);
      return password;
    },
    async admit(channel) {
      const name = channel.workerName;
      const registration = registrations.get(name);
      if (!registration || closing) return false;
      const existing = connections.get(name);
      if (existing && !existing.isClosed) {
        try {
          await existing.ping({ signal: AbortSignal.timeout(duplicatePingTimeout) });
          safeLogger.log(
            'warn',
            `worker ${name}: rejecting a duplicate login from ${channel.remoteAddress}; the connection from ${existing.peer} still answers`,
          );
          return false;
        } catch {
          safeLogger.log('info', `worker ${name}: the old connection did not answer; accepting the new one`);
          await existing.close('replaced by a new login');
        }
      }
      const connection = new WorkerConnection(channel, {
        logger: safeLogger,
        ...(options.keepaliveInterval !== undefined ? { keepaliveInterval: options.keepaliveInterval } : {}),
        ...(options.keepaliveTimeout !== undefined ? { keepaliveTimeout: options.keepaliveTimeout } : {}),
        ...(registration.builderDirectory !== undefined ? { builderDirectory: registration.builderDirectory } : {}),
      });
      if (connections.has(name)) return false;
      connections.set(name, connection);
      try {
        await connection.prepare({ signal: AbortSignal.timeout(60_000) });
        if (closing) throw new Error('the master is closing');
        await registration.onAttach?.(connection);
      } catch (error) {
        if (connections.get(name) === connection) connections.delete(name);
        safeLogger.log(
          'warn',
          `worker ${name}: login from ${channel.remoteAddress} refused: ${error instanceof Error ? error.message : String(error)}`,
        );
        return false;
      }
      safeLogger.log('info', `worker ${name} attached from ${channel.remoteAddress} (${channel.protocol})`);
      channel.onClose((reason) => {
        if (connections.get(name) === connection) connections.delete(name);
        safeLogger.log('info', `worker ${name} detached${reason ? `: ${reason.message}` : ''}`);
        emit('disconnect', { connection, reason: reason ? redactor.redactError(reason) : undefined });
      });
      return true;
    },
  };
  const onChannel = (channel: ProtocolChannel) => {
    const connection = connections.get(channel.workerName);
    if (connection) emit('connect', { connection });
  };

  const started: { pb?: Listener; msgpack?: Listener } = {};
  try {
    if (options.pb) {
      started.pb = await startPbListener({
        host: options.pb.host ?? '127.0.0.1',
        port: options.pb.port,
        authority,
        onChannel,
        logger: safeLogger,
        ...(options.loginTimeout !== undefined ? { loginTimeout: options.loginTimeout } : {}),
        ...(options.maxPendingLogins !== undefined ? { maxPendingLogins: options.maxPendingLogins } : {}),
      });
    }
    if (options.msgpack) {
      const listen = options.msgpackListener ?? startMsgpackListener;
      started.msgpack = await listen({
        host: options.msgpack.host ?? '127.0.0.1',
        port: options.msgpack.port,
        authority,
        onChannel,
        logger: safeLogger,
        redactor,
        limits: {
          ...(options.loginTimeout !== undefined ? { handshakeTimeoutMs: options.loginTimeout * 1000 } : {}),
          ...(options.maxPendingLogins !== undefined ? { maxPendingHandshakes: options.maxPendingLogins } : {}),
        },
      });
    }
  } catch (error) {
    await Promise.all([started.pb?.close(), started.msgpack?.close()]);
    throw error;
  }

  const waiters = new Set<() => void>();
  listeners.connect.add(() => {
    for (const wake of [...waiters]) wake();
  });

  const server: WorkerServer = {
    addresses: {
      ...(started.pb ? { pb: started.pb.address } : {}),
      ...(started.msgpack ? { msgpack: started.msgpack.address } : {}),
    },
    addWorker(registration) {
      if (typeof registration.password === 'string') redactor.add(registration.password);
      registrations.set(registration.name, registration);
    },
    removeWorker(name) {
      registrations.delete(name);
    },
    connection: (name) => connections.get(name),
    get connections() {
      return [...connections.values()];
    },
    waitForWorker(name, waitOptions = {}) {
      const { signal } = waitOptions;
      const current = connections.get(name);
      if (current) return Promise.resolve(current);
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise((resolve, reject) => {
        const wake = () => {
          const connection = connections.get(name);
          if (!connection) return;
          done();
          resolve(connection);
        };
        const onAbort = () => {
          done();
          reject(signal?.reason);
        };
        const done = () => {
          waiters.delete(wake);
          signal?.removeEventListener('abort', onAbort);
        };
        waiters.add(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    on(event, listener) {
      const set = listeners[event] as Set<typeof listener>;
      set.add(listener);
      return () => set.delete(listener);
    },
    async close() {
      if (closing) return;
      closing = true;
      await Promise.all([...connections.values()].map((connection) => connection.close('the master is closing')));
      await Promise.all([started.pb?.close(), started.msgpack?.close()]);
    },
  };
  if (options.signal) {
    if (options.signal.aborted) await server.close();
    else options.signal.addEventListener('abort', () => void server.close(), { once: true });
  }
  return server;
}
