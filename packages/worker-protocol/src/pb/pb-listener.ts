import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { type Logger, silentLogger } from '@latentci/core';
import { WorkerConnectionLostError, WorkerProtocolError } from '../errors.js';
import type { LoginAuthority, ProtocolChannel } from '../protocol-channel.js';
import { type BananaLimits, DEFAULT_BANANA_LIMITS } from './banana.js';
import { PbBroker, type PbReferenceable, RemoteReference } from './broker.js';
import { loginRejected, noSuchMethod, unauthorizedLogin } from './failure.js';
import { JellyTuple, textOf } from './jelly.js';
import { PbChannel } from './pb-channel.js';

/** What an unauthenticated PB connection may send: a login is under 200 bytes. */
export const PRE_LOGIN_LIMITS: BananaLimits = {
  maxStringLength: 1024,
  maxListLength: 64,
  maxDepth: 8,
  maxMessageBytes: 4096,
};

export interface PbListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly authority: LoginAuthority;
  readonly onChannel: (channel: ProtocolChannel) => void;
  readonly logger?: Logger;
  /** Seconds a connection has to log in (default 30). */
  readonly loginTimeout?: number;
  /** Connections that have not logged in yet, at most (default 100); more are closed at once. */
  readonly maxPendingLogins?: number;
  /** Limits once authenticated (default: Twisted's 640 KiB strings, 16 MiB per message). */
  readonly limits?: BananaLimits;
}

export interface PbListener {
  readonly address: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}

const MAX_LOGIN_ATTEMPTS = 3;
/** What a refused (but authenticated) worker is told; like Buildbot's refusals, it makes the worker exit. */
export const REFUSED_LOGIN =
  'rejecting duplicate worker: the master refused this login (the worker is already connected, or a latent worker that is not starting)';

function md5(data: Uint8Array): Buffer {
  return createHash('md5').update(data).digest();
}

/** Twisted's challenge: MD5 of 15–24 random upper-case letters. */
function newChallenge(): Buffer {
  const length = randomInt(15, 25);
  let letters = '';
  for (let index = 0; index < length; index += 1) letters += String.fromCharCode(65 + randomInt(26));
  return md5(Buffer.from(letters, 'latin1'));
}

/** `md5(md5(password) ‖ challenge)`, the response a worker with `password` computes. */
export function pbLoginResponse(password: string, challenge: Uint8Array): Buffer {
  return md5(Buffer.concat([md5(Buffer.from(password, 'utf8')), challenge]));
}

/** Accepts PB connections and turns each successful login into a `ProtocolChannel`. */
export async function startPbListener(options: PbListenerOptions): Promise<PbListener> {
  const logger = options.logger ?? silentLogger;
  const loginTimeout = (options.loginTimeout ?? 30) * 1000;
  const maxPending = options.maxPendingLogins ?? 100;
  const sockets = new Set<Socket>();
  let pending = 0;

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (pending >= maxPending) {
      logger.log('warn', `PB: too many connections waiting to log in; closing ${socket.remoteAddress}`);
      socket.destroy();
      return;
    }
    pending += 1;
    let authenticated = false;
    let counted = true;
    const settle = () => {
      if (counted) {
        counted = false;
        pending -= 1;
      }
    };
    socket.setNoDelay(true);
    const login = new LoginState(options.authority, logger, {
      authenticated: (channel) => {
        authenticated = true;
        clearTimeout(timer);
        settle();
        broker.limits = options.limits ?? DEFAULT_BANANA_LIMITS;
        socket.setKeepAlive(true, 60_000);
        return channel;
      },
      admitted: (channel) => options.onChannel(channel),
    });
    const broker = new PbBroker(socket, login.root, { limits: PRE_LOGIN_LIMITS, logger });
    login.broker = broker;
    const timer = setTimeout(() => {
      if (authenticated) return;
      logger.log('warn', `PB: ${broker.remoteAddress} did not log in within ${loginTimeout / 1000} s; closing`);
      broker.close(new WorkerProtocolError('PB: no login within the login timeout', { limit: 'loginTimeout' }));
    }, loginTimeout);
    timer.unref();
    broker.onClose(() => {
      clearTimeout(timer);
      settle();
    });
    broker.start();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : options.port;
  return {
    address: { host: options.host, port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

interface LoginCallbacks {
  authenticated(channel: PbChannel): PbChannel;
  admitted(channel: PbChannel): void;
}

/** The root object (`login`) and its challengers (`respond`) of one connection. */
class LoginState {
  broker!: PbBroker;
  attempts = 0;
  inFlight = false;
  loggedIn = false;
  readonly root: PbReferenceable;

  constructor(
    private readonly authority: LoginAuthority,
    private readonly logger: Logger,
    private readonly callbacks: LoginCallbacks,
  ) {
    this.root = {
      remoteCall: (method, args) => {
        if (method !== 'login') throw noSuchMethod('remote', method);
        const name = textOf(args[0]);
        if (name === undefined || args.length !== 1) throw unauthorizedLogin();
        this.attempts += 1;
        if (this.attempts > MAX_LOGIN_ATTEMPTS || this.loggedIn) {
          throw new WorkerProtocolError('PB: too many login attempts on one connection', { limit: 'loginAttempts' });
        }
        const challenge = newChallenge();
        const challenger: PbReferenceable = {
          remoteCall: (respondMethod, respondArgs) => {
            if (respondMethod !== 'respond') throw noSuchMethod('remote', respondMethod);
            return this.respond(name, challenge, challenger, respondArgs);
          },
        };
        return new JellyTuple([challenge, challenger]);
      },
    };
  }

  async respond(
    name: string,
    challenge: Buffer,
    challenger: PbReferenceable,
    args: readonly unknown[],
  ): Promise<unknown> {
    this.broker.release(challenger);
    const [response, mind] = args;
    if (this.inFlight || this.loggedIn) throw unauthorizedLogin();
    if (!(response instanceof Uint8Array) || response.length !== 16 || !(mind instanceof RemoteReference)) {
      throw unauthorizedLogin();
    }
    this.inFlight = true;
    try {
      const password = await this.authority.passwordFor(name);
      if (password === undefined) {
        this.logger.log('warn', `invalid login from unknown worker '${name}' at ${this.broker.remoteAddress}`);
        throw unauthorizedLogin();
      }
      if (!timingSafeEqual(pbLoginResponse(password, challenge), response)) {
        this.logger.log('warn', `invalid login from worker '${name}' at ${this.broker.remoteAddress}`);
        throw unauthorizedLogin();
      }
      const channel = this.callbacks.authenticated(new PbChannel(this.broker, mind, name));
      const admitted = await this.authority.admit(channel);
      if (!admitted) {
        // The real worker exits on this refusal; a peer that stays is closed a little later.
        setTimeout(() => {
          if (!this.loggedIn) this.broker.close(new WorkerConnectionLostError('login refused by the master'));
        }, 10_000).unref();
        throw loginRejected(REFUSED_LOGIN);
      }
      this.loggedIn = true;
      queueMicrotask(() => this.callbacks.admitted(channel));
      return channel.perspective;
    } finally {
      this.inFlight = false;
    }
  }
}
