import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { type Logger, REDACTED, silentLogger } from '@latentci/core';
import { AttachBook } from './attach-book.js';
import {
  ATTACH_ACCEPTED,
  ATTACH_DENIED,
  ATTACH_PROTOCOL_VERSION,
  parseAttachEnvironment,
  parseAttachHello,
} from './attach-protocol.js';

/** Where containers on Docker's default bridge network reach the host. */
export const DOCKER_BRIDGE_GATEWAY = '172.17.0.1';

/** What the attach server saw of one connection that presented a worker name. */
export interface AttachRecord {
  /** The name the worker presented. */
  readonly workerName: string;
  /** The name was registered with `expectWorker`. */
  readonly expected: boolean;
  /** The presented password equals the expected one. The password itself is never recorded. */
  readonly passwordMatched: boolean;
  /** The server answered `OK`. */
  readonly accepted: boolean;
  /** Why the worker was refused, when it was. */
  readonly rejection?: string;
  /** The worker's address as the server saw it (IPv4-mapped IPv6 addresses are unmapped). */
  readonly remoteAddress: string;
  /** The protocol version in the greeting. */
  readonly protocolVersion: number;
  /**
   * The worker's environment, when it sent the `ENV` line. `WORKERPASS` is replaced by
   * `<redacted>`; compare with `environmentPasswordMatched`.
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** `WORKERPASS` in the reported environment equals the expected password (absent without `ENV`). */
  readonly environmentPasswordMatched?: boolean;
  /** `Date.now()` when the greeting arrived. */
  readonly attachedAt: number;
  /** `Date.now()` when an accepted connection closed; absent while it is open. */
  readonly detachedAt?: number;
}

/** One accepted worker connection, as handed to attach handlers (and to `LatentWorker.attached()`). */
export interface AttachConnection {
  readonly record: AttachRecord;
  /** `<worker>@<address>`: how the lifecycle names this connection in its log lines. */
  readonly peer: string;
  /** Closes the connection (the worker sees the master hang up). */
  close(): void;
}

export interface AttachHandlers {
  /**
   * Called when the worker presented the right credentials, before the server answers. A rejection
   * makes the server answer `DENIED` (recorded with the error's message as `rejection`).
   */
  onAttach?(connection: AttachConnection): unknown;
  /** Called when an accepted connection closes. */
  onDetach?(connection: AttachConnection): unknown;
}

export interface StartAttachServerOptions {
  /** Address to listen on. Default {@link DOCKER_BRIDGE_GATEWAY} (what containers reach the host at). */
  readonly host?: string;
  /** Port; 0 (default) picks a free one. */
  readonly port?: number;
  /** How long to wait for the `ENV` line after the greeting, in milliseconds. Default 1000. */
  readonly environmentTimeoutMs?: number;
  /** Where connection events are logged (passwords never are). Default: silent. */
  readonly logger?: Logger;
}

export interface WaitOptions {
  /** Default 30 000. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The password a worker must present: a value, or a function read at attach time (auto-generated passwords). */
export type ExpectedPassword = string | (() => string | undefined);

/** A tiny stand-in master for conformance: checks the credentials workers present and records what it saw. */
export interface AttachServer {
  /** The address it listens on. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** `host:port` (IPv6 hosts bracketed): a `masterFQDN` pointing at this server. */
  readonly masterFQDN: string;
  /** Every connection that presented a worker name, in arrival order. */
  readonly records: readonly AttachRecord[];
  /** Accepts `name` with `password` from now on; returns a function that forgets it again. */
  expectWorker(
    name: string,
    password: ExpectedPassword,
    handlers?: AttachHandlers | AttachHandlers['onAttach'],
  ): () => void;
  /** Stops accepting `name` (connections already open stay open). */
  forgetWorker(name: string): void;
  /** Resolves with the first accepted record of `name` (also one already recorded); rejects when `name` is refused. */
  waitForAttach(name: string, options?: WaitOptions): Promise<AttachRecord>;
  /** Resolves with the first record of `name`, accepted or not. */
  waitForRecord(name: string, options?: WaitOptions): Promise<AttachRecord>;
  /** Resolves once an accepted connection of `name` has closed. */
  waitForDetach(name: string, options?: WaitOptions): Promise<AttachRecord>;
  /**
   * Ends every connection of `name` so that its worker exits, as a finished worker does (the probe
   * exits when the master closes its connection; a Buildbot worker, which would reconnect, is asked
   * to shut down first). Resolves when they are closed.
   */
  disconnect(name: string): Promise<void>;
  /** Open connections right now. */
  readonly openConnections: number;
  /** Closes the listener and every socket; pending waits reject. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts an attach server. Probe workers (see `ensureProbeImage`) connect to it with the
 * environment contract; the server checks the name/password they present against `expectWorker`
 * and records what it saw.
 *
 * @example
 * const server = await startAttachServer();               // 172.17.0.1, free port
 * server.expectWorker('w1', 'secret', () => worker.attached());
 * // start the worker with masterFQDN: server.masterFQDN
 * await server.waitForAttach('w1', { timeoutMs: 30_000 });
 * await server.close();
 */
export async function startAttachServer(options: StartAttachServerOptions = {}): Promise<AttachServer> {
  const host = options.host ?? DOCKER_BRIDGE_GATEWAY;
  const server = createServer();
  server.listen({ host, port: options.port ?? 0 });
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  } catch (error) {
    server.close();
    const detail = error instanceof Error ? error.message : String(error);
    const hint =
      host === DOCKER_BRIDGE_GATEWAY
        ? ' (is the Docker engine running with its default bridge network? pass { host } to listen elsewhere, e.g. 127.0.0.1)'
        : '';
    throw new Error(`attach server could not listen on ${host}:${options.port ?? 0}: ${detail}${hint}`, {
      cause: error,
    });
  }
  const { port } = server.address() as AddressInfo;
  return new AttachServerImplementation(server, host, port, options);
}

class AttachServerImplementation implements AttachServer {
  readonly host: string;
  readonly port: number;
  readonly masterFQDN: string;
  readonly #server: Server;
  readonly #logger: Logger;
  readonly #environmentTimeoutMs: number;
  readonly #book = new AttachBook();
  readonly #sockets = new Set<Socket>();
  readonly #connections = new Map<Socket, { name: string; connection: AttachConnection }>();
  #closed: Promise<void> | undefined;

  constructor(server: Server, host: string, port: number, options: StartAttachServerOptions) {
    this.#server = server;
    this.host = host;
    this.port = port;
    this.masterFQDN = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    this.#logger = options.logger ?? silentLogger;
    this.#environmentTimeoutMs = options.environmentTimeoutMs ?? 1000;
    server.on('connection', (socket) => this.#handle(socket));
  }

  get records(): readonly AttachRecord[] {
    return this.#book.records;
  }

  get openConnections(): number {
    return this.#sockets.size;
  }

  expectWorker(
    name: string,
    password: ExpectedPassword,
    handlers: AttachHandlers | AttachHandlers['onAttach'] = {},
  ): () => void {
    return this.#book.expectWorker(name, password, handlers);
  }

  forgetWorker(name: string): void {
    this.#book.forgetWorker(name);
  }

  waitForAttach(name: string, options: WaitOptions = {}): Promise<AttachRecord> {
    return this.#book.waitForAttach(name, options);
  }

  waitForRecord(name: string, options: WaitOptions = {}): Promise<AttachRecord> {
    return this.#book.waitForRecord(name, options);
  }

  waitForDetach(name: string, options: WaitOptions = {}): Promise<AttachRecord> {
    return this.#book.waitForDetach(name, options);
  }

  async disconnect(name: string): Promise<void> {
    const closing: Promise<unknown>[] = [];
    for (const [socket, entry] of this.#connections) {
      if (entry.name !== name) continue;
      if (!socket.destroyed) closing.push(once(socket, 'close'));
      socket.destroy();
    }
    await Promise.all(closing);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      for (const socket of this.#sockets) socket.destroy();
      this.#book.close();
      await closed;
    })();
    return this.#closed;
  }

  #handle(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    const remoteAddress = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
    const lines = new LineReader(socket);
    socket.on('close', () => {
      this.#sockets.delete(socket);
      lines.end();
    });
    void this.#converse(socket, lines, remoteAddress).catch((error: unknown) => {
      this.#logger.log('warn', 'attach server: connection failed', {
        remoteAddress,
        error: error instanceof Error ? error.message : String(error),
      });
      socket.destroy();
    });
  }

  async #converse(socket: Socket, lines: LineReader, remoteAddress: string): Promise<void> {
    const first = await lines.next(30_000);
    if (first === undefined) {
      socket.destroy();
      return;
    }
    const hello = parseAttachHello(first);
    if (!hello) {
      this.#logger.log('warn', 'attach server: a connection did not greet with LATENTCI-PROBE', { remoteAddress });
      socket.end(`${ATTACH_DENIED}\n`);
      return;
    }
    const second = await lines.next(this.#environmentTimeoutMs);
    const reportedEnvironment = second === undefined ? undefined : parseAttachEnvironment(second);

    const expectation = this.#book.expectation(hello.workerName);
    const expectedPassword = this.#book.expectedPassword(hello.workerName);
    const passwordMatched = expectedPassword !== undefined && hello.password === expectedPassword;
    let environment: Record<string, string> | undefined;
    let environmentPasswordMatched: boolean | undefined;
    if (reportedEnvironment) {
      environment = { ...reportedEnvironment };
      if ('WORKERPASS' in environment) {
        environmentPasswordMatched = expectedPassword !== undefined && environment.WORKERPASS === expectedPassword;
        environment.WORKERPASS = REDACTED;
      } else {
        environmentPasswordMatched = false;
      }
    }

    let rejection: string | undefined;
    if (hello.version !== ATTACH_PROTOCOL_VERSION) rejection = `unsupported protocol version ${hello.version}`;
    else if (!expectation) rejection = `unknown worker name "${hello.workerName}"`;
    else if (!passwordMatched) rejection = `wrong password for worker "${hello.workerName}"`;

    const record: {
      -readonly [K in keyof AttachRecord]: AttachRecord[K];
    } = {
      workerName: hello.workerName,
      expected: expectation !== undefined,
      passwordMatched,
      accepted: false,
      remoteAddress,
      protocolVersion: hello.version,
      attachedAt: Date.now(),
      ...(environment ? { environment } : {}),
      ...(environmentPasswordMatched === undefined ? {} : { environmentPasswordMatched }),
    };
    const connection: AttachConnection = {
      record,
      peer: `${hello.workerName}@${remoteAddress}`,
      close: () => socket.destroy(),
    };

    if (rejection === undefined && expectation?.handlers.onAttach) {
      try {
        await expectation.handlers.onAttach(connection);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        rejection = `attach handler refused the worker: ${redact(message, expectedPassword, hello.password)}`;
      }
    }
    if (rejection !== undefined) {
      record.rejection = rejection;
      this.#book.add(record);
      this.#logger.log('info', 'attach server: refused a worker', {
        workerName: hello.workerName,
        remoteAddress,
        rejection,
      });
      if (!socket.destroyed) socket.end(`${ATTACH_DENIED}\n`);
      return;
    }
    record.accepted = true;
    this.#logger.log('info', 'attach server: worker attached', { workerName: hello.workerName, remoteAddress });
    if (socket.destroyed) {
      record.detachedAt = Date.now();
    } else {
      this.#connections.set(socket, { name: hello.workerName, connection });
      socket.write(`${ATTACH_ACCEPTED}\n`);
      socket.once('close', () => {
        this.#connections.delete(socket);
        record.detachedAt = Date.now();
        this.#logger.log('info', 'attach server: worker detached', { workerName: hello.workerName, remoteAddress });
        try {
          const result = expectation?.handlers.onDetach?.(connection);
          if (result instanceof Promise) result.catch(() => {});
        } catch {
          // A detach handler's failure must not break the server.
        }
        this.#book.changed(record);
      });
    }
    this.#book.add(record);
  }
}

function redact(text: string, ...secrets: (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets) if (secret) result = result.split(secret).join(REDACTED);
  return result;
}

/** Reads newline-terminated lines from a socket, one at a time, with a timeout per line. */
class LineReader {
  #buffer = '';
  #ended = false;
  #pending: (() => void) | undefined;
  static readonly maximumLineLength = 1 << 20;

  constructor(socket: Socket) {
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      if (this.#buffer.length > LineReader.maximumLineLength && !this.#buffer.includes('\n')) {
        socket.destroy();
      }
      this.#wake();
    });
    socket.on('end', () => this.end());
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.();
  }

  /** The next line without its newline; `undefined` at end of stream or after `timeoutMs`. */
  async next(timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const newline = this.#buffer.indexOf('\n');
      if (newline >= 0) {
        const line = this.#buffer.slice(0, newline);
        this.#buffer = this.#buffer.slice(newline + 1);
        return line;
      }
      if (this.#ended) return undefined;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#pending = undefined;
          resolve();
        }, remaining);
        this.#pending = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
