import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ConfigurationError, type Logger, type LogLevel, Redactor, silentLogger } from '@latentci/core';
import { WebSocketServer } from 'ws';
import type { LoginAuthority, ProtocolChannel } from '../protocol-channel.js';
import { parseBasicAuthorization, passwordsMatch } from './basic-auth.js';
import { MsgpackChannel } from './msgpack-channel.js';

export interface MsgpackListenerLimits {
  /** Largest WebSocket message accepted from a worker, in bytes (default 16 MiB). Larger → connection closed (1009). */
  readonly maxFrameBytes?: number;
  /** TCP connections that have not finished the authenticated upgrade yet (default 32); more are dropped at once. */
  readonly maxPendingHandshakes?: number;
  /** A connection must complete the authenticated upgrade within this time (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** WebSocket ping period (default 30 s); a worker that misses a pong for one period is dropped, so within 2 periods. */
  readonly pingIntervalMs?: number;
  /** Nesting depth accepted in a frame (default 64). */
  readonly maxDepth?: number;
}

export interface MsgpackListenerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly authority: LoginAuthority;
  /** Gets every connection `authority.admit` accepted. */
  onChannel(channel: ProtocolChannel): void;
  readonly logger?: Logger;
  readonly limits?: MsgpackListenerLimits;
  /** Secrets to keep out of logs and errors; every password the authority hands out is added to it. */
  readonly redactor?: Redactor;
}

export interface MsgpackListener {
  readonly address: { readonly host: string; readonly port: number };
  /** Stops listening and drops every connection (workers reconnect to whatever listens next). */
  close(): Promise<void>;
}

const DEFAULTS = {
  maxFrameBytes: 16 * 1024 * 1024,
  maxPendingHandshakes: 32,
  handshakeTimeoutMs: 10_000,
  pingIntervalMs: 30_000,
  maxDepth: 64,
} as const;

/** Room kept for the response envelope around an `update_read_file` block. */
const ENVELOPE_BYTES = 1024;

/**
 * Listens for buildbot-workers speaking msgpack_experimental_v7 (WebSocket + HTTP Basic auth on
 * the upgrade, as Buildbot's master does) and hands each admitted connection to `onChannel`.
 */
export async function startMsgpackListener(options: MsgpackListenerOptions): Promise<MsgpackListener> {
  const limits = { ...DEFAULTS, ...definedOnly(options.limits ?? {}) };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new ConfigurationError(
        `msgpack listener limit "${name}" must be a positive integer, got ${String(value)}.`,
      );
    }
  }
  if (limits.maxFrameBytes <= ENVELOPE_BYTES) {
    throw new ConfigurationError(`msgpack listener limit "maxFrameBytes" must be more than ${ENVELOPE_BYTES} bytes.`);
  }
  const logger = options.logger ?? silentLogger;
  const redactor = options.redactor ?? new Redactor();
  const log = (level: LogLevel, message: string, fields?: Record<string, unknown>) =>
    logger.log(level, redactor.redact(message), redactor.redactValue({ protocol: 'msgpack', ...fields }));

  const server = createServer((_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
    response.end('This port speaks Buildbot msgpack_experimental_v7 over WebSocket only.\n');
  });
  server.headersTimeout = limits.handshakeTimeoutMs;
  server.requestTimeout = limits.handshakeTimeoutMs;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });

  const sockets = new Set<Socket>();
  const channels = new Set<MsgpackChannel>();
  const handshakeDone = new WeakMap<Duplex, () => void>();
  let pendingHandshakes = 0;
  let closing = false;

  server.on('connection', (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (pendingHandshakes >= limits.maxPendingHandshakes) {
      log(
        'warn',
        `too many connections waiting for their WebSocket upgrade (${limits.maxPendingHandshakes}); dropped ${peer(socket)}`,
      );
      socket.destroy();
      return;
    }
    pendingHandshakes++;
    let counted = true;
    const timer = setTimeout(() => {
      log(
        'warn',
        `${peer(socket)} did not complete an authenticated WebSocket upgrade within ${limits.handshakeTimeoutMs} ms; dropped`,
      );
      socket.destroy();
    }, limits.handshakeTimeoutMs);
    const done = () => {
      clearTimeout(timer);
      if (counted) {
        counted = false;
        pendingHandshakes--;
      }
    };
    handshakeDone.set(socket, done);
    socket.once('close', done);
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    upgrade(request, socket, head).catch((error: unknown) => {
      log(
        'error',
        `WebSocket upgrade from ${peer(socket)} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      socket.destroy();
    });
  });

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const credentials = parseBasicAuthorization(request.headers.authorization);
    if (credentials === 'missing') return refuse(socket, 401, 'Unauthorized', 'no Authorization header');
    if (credentials === 'malformed') return refuse(socket, 400, 'Bad request', 'malformed Authorization header');
    let expected: string | undefined;
    try {
      expected = await options.authority.passwordFor(credentials.name);
    } catch (error) {
      log(
        'error',
        `looking up the password of worker "${credentials.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      return refuse(socket, 500, 'Internal Server Error', 'password lookup failed');
    }
    redactor.add(expected);
    if (expected === undefined || !passwordsMatch(credentials.password, expected)) {
      return refuse(
        socket,
        401,
        'Unauthorized',
        `login refused for worker "${credentials.name}" (unknown worker or wrong password)`,
      );
    }
    if (socket.destroyed || closing) return;
    wss.handleUpgrade(request, socket, head, (ws) => {
      handshakeDone.get(socket)?.();
      const raw = socket as Socket;
      const channel = new MsgpackChannel({
        socket: ws,
        workerName: credentials.name,
        remoteAddress: peer(raw),
        logger,
        redactor,
        pingIntervalMs: limits.pingIntervalMs,
        maxDepth: limits.maxDepth,
        maxReadBlock: limits.maxFrameBytes - ENVELOPE_BYTES,
      });
      channels.add(channel);
      channel.onClose(() => channels.delete(channel));
      if (closing) {
        channel.close();
        return;
      }
      log('info', `worker "${credentials.name}" connected from ${channel.remoteAddress}`);
      options.authority.admit(channel).then(
        (admitted) => {
          if (channel.closed) return;
          if (!admitted) {
            log('info', `worker "${credentials.name}" was not admitted; connection closed`);
            channel.close();
            return;
          }
          channel.markAdmitted();
          options.onChannel(channel);
        },
        (error: unknown) => {
          log(
            'error',
            `admitting worker "${credentials.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
          );
          channel.close();
        },
      );
    });
  }

  function refuse(socket: Duplex, status: number, text: string, why: string): void {
    log('info', `refused the WebSocket upgrade from ${peer(socket)}: ${why}`);
    // Byte for byte what Buildbot 3.7's master (Autobahn) answers: status line, blank line, close.
    if (!socket.destroyed) socket.end(`HTTP/1.1 ${status} ${text}\r\n\r\n`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log('error', `msgpack listener error: ${error.message}`));
  const bound = server.address() as AddressInfo;

  return {
    address: { host: bound.address, port: bound.port },
    async close() {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const channel of channels) channel.close('the listener is closing');
      for (const socket of sockets) socket.destroy();
      wss.close();
      await closed;
    },
  };
}

function peer(socket: Duplex): string {
  const raw = socket as Partial<Socket>;
  const host = raw.remoteAddress ?? 'unknown';
  return `${host.includes(':') ? `[${host}]` : host}:${raw.remotePort ?? 0}`;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
