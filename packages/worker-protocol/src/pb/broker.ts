import type { Socket } from 'node:net';
import { type Logger, silentLogger } from '@latentci/core';
import { WorkerConnectionLostError, WorkerProtocolError } from '../errors.js';
import {
  BananaDecoder,
  type BananaLimits,
  type BananaValue,
  bytesEqual,
  bytesOf,
  DEFAULT_BANANA_LIMITS,
  encodeBanana,
} from './banana.js';
import { invalidObjectId, PbFailure, pbError, remoteErrorFrom } from './failure.js';
import { type JellyReferences, JellyTuple, jelly, textOf, unjelly } from './jelly.js';

/** A local object the peer may call (Twisted's Referenceable). */
export interface PbReferenceable {
  /** Answers one call; throw (or reject with) a `PbFailure` to answer with that failure. */
  remoteCall(method: string, args: readonly unknown[], kwargs: ReadonlyMap<unknown, unknown>): unknown;
}

function isReferenceable(value: unknown): value is PbReferenceable {
  return (
    typeof value === 'object' && value !== null && typeof (value as { remoteCall?: unknown }).remoteCall === 'function'
  );
}

/** A proxy for an object that lives on the peer. */
export class RemoteReference {
  constructor(
    readonly broker: PbBroker,
    readonly luid: number,
  ) {}

  callRemote(
    method: string,
    args: readonly unknown[] = [],
    kwargs: Readonly<Record<string, unknown>> = {},
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<unknown> {
    return this.broker.callRemote(this.luid, method, args, kwargs, options);
  }
}

/** Twisted's `MAX_BROKER_REFS`: local objects one connection may reference at once. */
export const MAX_BROKER_REFS = 1024;
const PB_VERSION = 6;

const K_VERSION = bytesOf('version');
const K_MESSAGE = bytesOf('message');
const K_ANSWER = bytesOf('answer');
const K_ERROR = bytesOf('error');
const DIALECT_OFFER = encodeBanana([bytesOf('pb'), bytesOf('none')], false);

interface Pending {
  readonly method: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface LocalEntry {
  readonly object: PbReferenceable;
  references: number;
}

export interface PbBrokerOptions {
  readonly limits?: BananaLimits;
  readonly logger?: Logger;
}

/**
 * The master end of one PB connection: dialect and version handshake, then `message` / `answer` /
 * `error` / `decref`. Incoming expressions are handled strictly in arrival order; anything that
 * breaks the protocol closes this connection with a `WorkerProtocolError`.
 */
export class PbBroker {
  readonly #socket: Socket;
  readonly #decoder: BananaDecoder;
  readonly #logger: Logger;
  #state: 'dialect' | 'version' | 'ready' | 'closed' = 'dialect';
  #nextRequestId = 1;
  #nextLuid = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #abandoned = new Set<number>();
  readonly #locals = new Map<number, LocalEntry>();
  readonly #localIds = new WeakMap<object, number>();
  readonly #remotes = new Map<number, RemoteReference>();
  readonly #closeListeners: ((reason: Error | undefined) => void)[] = [];
  #closeReason: Error | undefined;
  readonly #references: JellyReferences;

  constructor(socket: Socket, root: PbReferenceable, options: PbBrokerOptions = {}) {
    this.#socket = socket;
    this.#logger = options.logger ?? silentLogger;
    this.#locals.set(0, { object: root, references: 1 });
    this.#decoder = new BananaDecoder((value) => this.#receive(value), options.limits ?? DEFAULT_BANANA_LIMITS);
    this.#references = {
      remote: (luid) => this.remote(luid),
      local: (luid) => {
        const entry = luid === 0 ? undefined : this.#locals.get(luid);
        if (!entry) throw new WorkerProtocolError(`PB: (local ${luid}) names no object of ours`);
        return entry.object;
      },
      localIdOf: (value) => (isReferenceable(value) ? this.#register(value) : undefined),
      remoteIdOf: (value) => (value instanceof RemoteReference && value.broker === this ? value.luid : undefined),
    };
    socket.on('data', (chunk: Buffer) => this.#data(chunk));
    socket.on('error', (error) => this.#closed(new WorkerConnectionLostError(`PB connection error: ${error.message}`)));
    socket.on('close', () => this.#closed(undefined));
  }

  /** `host:port` of the peer. */
  get remoteAddress(): string {
    return `${this.#socket.remoteAddress ?? '?'}:${this.#socket.remotePort ?? '?'}`;
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  /** Number of our objects the peer may currently reference (the root included). */
  get localObjectCount(): number {
    return this.#locals.size;
  }

  /** Sends the dialect offer; call once the socket is connected. */
  start(): void {
    this.#socket.write(DIALECT_OFFER);
  }

  set limits(limits: BananaLimits) {
    this.#decoder.limits = limits;
  }

  onClose(listener: (reason: Error | undefined) => void): void {
    if (this.#state === 'closed') queueMicrotask(() => listener(this.#closeReason));
    else this.#closeListeners.push(listener);
  }

  /** The proxy for the peer's object `luid` (one proxy per luid). */
  remote(luid: number): RemoteReference {
    let reference = this.#remotes.get(luid);
    if (!reference) {
      if (this.#remotes.size >= MAX_BROKER_REFS) {
        throw new WorkerProtocolError(`PB: the peer sent more than ${MAX_BROKER_REFS} references`, {
          limit: 'references',
        });
      }
      reference = new RemoteReference(this, luid);
      this.#remotes.set(luid, reference);
    }
    return reference;
  }

  /** Forgets one of our objects (after a command completed); a later `decref` for it is ignored. */
  release(object: PbReferenceable): void {
    const luid = this.#localIds.get(object);
    if (luid === undefined) return;
    this.#locals.delete(luid);
    this.#localIds.delete(object);
  }

  #register(object: PbReferenceable): number {
    const known = this.#localIds.get(object);
    if (known !== undefined) {
      const entry = this.#locals.get(known);
      if (entry) {
        entry.references += 1;
        return known;
      }
    }
    if (this.#locals.size > MAX_BROKER_REFS) throw new Error(`PB: more than ${MAX_BROKER_REFS} local objects`);
    const luid = this.#nextLuid;
    this.#nextLuid += 1;
    this.#locals.set(luid, { object, references: 1 });
    this.#localIds.set(object, luid);
    return luid;
  }

  callRemote(
    luid: number,
    method: string,
    args: readonly unknown[],
    kwargs: Readonly<Record<string, unknown>>,
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<unknown> {
    if (this.#state === 'closed') {
      return Promise.reject(
        new WorkerConnectionLostError(`Cannot call ${method}: the worker connection is closed`, {
          cause: this.#closeReason,
        }),
      );
    }
    options.signal?.throwIfAborted();
    const requestId = this.#nextRequestId;
    this.#nextRequestId += 1;
    const message = [
      K_MESSAGE,
      requestId,
      luid,
      Buffer.from(method, 'utf8'),
      1,
      jelly(new JellyTuple([...args]), this.#references),
      jelly(kwargs, this.#references),
    ];
    return new Promise<unknown>((resolve, reject) => {
      const signal = options.signal;
      const onAbort = () => {
        this.#pending.delete(requestId);
        this.#abandoned.add(requestId);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(requestId, {
        method,
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      this.#send(message);
    });
  }

  /** Closes the connection: politely (FIN) or, for a protocol error, at once. */
  close(reason?: Error): void {
    if (this.#state === 'closed') return;
    if (reason instanceof WorkerProtocolError) {
      this.#closed(reason);
      this.#socket.destroy();
      return;
    }
    this.#closed(reason);
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 2000).unref();
  }

  #send(value: BananaValue): void {
    if (this.#state === 'closed') return;
    this.#socket.write(encodeBanana(value, true));
  }

  #data(chunk: Buffer): void {
    if (this.#state === 'closed') return;
    try {
      this.#decoder.feed(chunk);
    } catch (error) {
      const failure =
        error instanceof WorkerProtocolError
          ? error
          : new WorkerProtocolError(`PB: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      this.#logger.log('warn', `closing PB connection from ${this.remoteAddress}: ${failure.message}`);
      this.close(failure);
    }
  }

  #closed(reason: Error | undefined): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#closeReason = reason;
    const lost = new WorkerConnectionLostError('The worker connection closed before answering', { cause: reason });
    for (const pending of this.#pending.values()) {
      pending.reject(
        new WorkerConnectionLostError(`The worker connection closed before answering ${pending.method}`, {
          cause: reason,
        }),
      );
    }
    void lost;
    this.#pending.clear();
    this.#locals.clear();
    this.#remotes.clear();
    if (!this.#socket.destroyed) this.#socket.destroy();
    for (const listener of this.#closeListeners.splice(0)) {
      try {
        listener(reason);
      } catch (error) {
        this.#logger.log('error', `a PB close listener threw: ${String(error)}`);
      }
    }
  }

  #receive(value: BananaValue): void {
    if (this.#state === 'dialect') {
      if (!bytesEqual(value, 'pb')) throw new WorkerProtocolError('PB: the peer did not choose the "pb" dialect');
      this.#decoder.vocabulary = true;
      this.#state = 'version';
      this.#send([K_VERSION, PB_VERSION]);
      return;
    }
    if (!Array.isArray(value) || value.length === 0) throw new WorkerProtocolError('PB: a message is not a list');
    const kind = value[0];
    if (this.#state === 'version') {
      if (!bytesEqual(kind, 'version') || value[1] !== PB_VERSION || value.length !== 2) {
        throw new WorkerProtocolError('PB: the peer does not speak PB version 6');
      }
      this.#state = 'ready';
      return;
    }
    if (bytesEqual(kind, 'message')) this.#message(value);
    else if (bytesEqual(kind, 'answer')) this.#answer(value);
    else if (bytesEqual(kind, 'error')) this.#error(value);
    else if (bytesEqual(kind, 'decref')) this.#decref(value);
    else if (bytesEqual(kind, 'version')) throw new WorkerProtocolError('PB: a second version message');
    else throw new WorkerProtocolError(`PB: unknown message kind "${textOf(kind)?.slice(0, 40) ?? typeof kind}"`);
  }

  #message(value: BananaValue[]): void {
    const [, requestId, objectId, methodName, answerRequired, argsSexp, kwargsSexp] = value;
    if (
      value.length !== 7 ||
      typeof requestId !== 'number' ||
      !(methodName instanceof Uint8Array) ||
      typeof answerRequired !== 'number' ||
      argsSexp === undefined ||
      kwargsSexp === undefined
    ) {
      throw new WorkerProtocolError('PB: malformed message');
    }
    const method = textOf(methodName) ?? '';
    const args = unjelly(argsSexp, this.#references);
    const kwargs = unjelly(kwargsSexp, this.#references);
    if (!(args instanceof JellyTuple) || !(kwargs instanceof Map)) {
      throw new WorkerProtocolError('PB: message arguments are not a tuple and a dictionary');
    }
    let target: PbReferenceable | undefined;
    if (bytesEqual(objectId, 'root')) target = this.#locals.get(0)?.object;
    else if (typeof objectId === 'number' && objectId > 0) target = this.#locals.get(objectId)?.object;
    const reply = (result: unknown, failed: boolean) => {
      if (answerRequired === 0 || this.#state === 'closed') return;
      if (failed) {
        const failure = result instanceof PbFailure ? result : pbError('the master could not handle the call');
        if (!(result instanceof PbFailure)) {
          this.#logger.log('error', `PB call ${method} failed on the master: ${String(result)}`);
        }
        this.#send([K_ERROR, requestId, jelly(failure.toCopy(), this.#references)]);
        return;
      }
      let encoded: BananaValue;
      try {
        encoded = jelly(result, this.#references);
      } catch (error) {
        reply(error, true);
        return;
      }
      this.#send([K_ANSWER, requestId, encoded]);
    };
    if (!target) {
      reply(invalidObjectId(), true);
      return;
    }
    let result: unknown;
    try {
      result = target.remoteCall(method, args.items, kwargs);
    } catch (error) {
      if (error instanceof WorkerProtocolError) throw error;
      reply(error, true);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (settled) => reply(settled, false),
        (error) => {
          if (error instanceof WorkerProtocolError) this.close(error);
          else reply(error, true);
        },
      );
    } else {
      reply(result, false);
    }
  }

  #settle(value: BananaValue[], kind: string): [Pending | undefined, BananaValue] {
    const [, requestId, payload] = value;
    if (value.length !== 3 || typeof requestId !== 'number' || payload === undefined) {
      throw new WorkerProtocolError(`PB: malformed ${kind}`);
    }
    const pending = this.#pending.get(requestId);
    if (!pending) {
      if (this.#abandoned.delete(requestId)) return [undefined, payload];
      throw new WorkerProtocolError(`PB: ${kind} for request ${requestId}, which is not pending`);
    }
    this.#pending.delete(requestId);
    return [pending, payload];
  }

  #answer(value: BananaValue[]): void {
    const [pending, payload] = this.#settle(value, 'answer');
    const result = unjelly(payload, this.#references);
    pending?.resolve(result);
  }

  #error(value: BananaValue[]): void {
    const [pending, payload] = this.#settle(value, 'error');
    const failure = unjelly(payload, this.#references);
    pending?.reject(remoteErrorFrom(failure, pending.method));
  }

  #decref(value: BananaValue[]): void {
    const luid = value[1];
    if (value.length !== 2 || typeof luid !== 'number') throw new WorkerProtocolError('PB: malformed decref');
    const entry = luid === 0 ? undefined : this.#locals.get(luid);
    if (!entry) return;
    entry.references -= 1;
    if (entry.references <= 0) {
      this.#locals.delete(luid);
      this.#localIds.delete(entry.object);
    }
  }
}
