import { ConfigurationError, type Logger, type LogLevel, type Redactor } from '@latentci/core';
import type { RawData, WebSocket } from 'ws';
import { WorkerConnectionLostError, WorkerProtocolError, WorkerRemoteError } from '../errors.js';
import type {
  CallOptions,
  CommandSink,
  FileReaderSource,
  FileWriterTarget,
  ProtocolChannel,
  RawWorkerInfo,
  StartCommandRequest,
} from '../protocol-channel.js';
import { decodeMsgpackMap, encodeMsgpack, isMsgpackMap, type MsgpackMap, type MsgpackValue } from './msgpack-codec.js';
import { joinWorkerPath, toMsgpackCommand, type WorkerSystem, workerSystemOf } from './msgpack-paths.js';
import { normalizeUpdates } from './msgpack-updates.js';

/**
 * A `StartCommandRequest` that may name its builder. Without `builderName` the command runs in
 * the builder of the last `setBuilder` call (the seam has one builder per connection).
 */
export interface MsgpackStartCommandRequest extends StartCommandRequest {
  readonly builderName?: string;
}

export interface MsgpackChannelOptions {
  readonly socket: WebSocket;
  readonly workerName: string;
  readonly remoteAddress: string;
  readonly logger: Logger;
  readonly redactor: Redactor;
  /** A WebSocket ping goes out this often; a worker that has not answered the previous one by then is dropped. */
  readonly pingIntervalMs: number;
  readonly maxDepth: number;
  /** Largest block answered to `update_read_file` (the frame limit minus room for the envelope). */
  readonly maxReadBlock: number;
}

/** Buildbot's master sends exactly these settings (same key order) before the first command. */
const WORKER_SETTINGS = {
  newline_re: '(\\r\\n|\\r(?=.)|\\033\\[u|\\033\\[[0-9]+;[0-9]+[Hf]|\\033\\[2J|\\x08+)',
  max_line_length: 4096,
  buffer_timeout: 5,
  buffer_size: 64 * 1024,
} as const;

interface PendingRequest {
  readonly op: string;
  resolve(value: MsgpackValue): void;
  reject(error: Error): void;
}

/** An exception the worker sees in its response; `text` is exactly what Buildbot's master would answer. */
class WorkerRequestError extends Error {}

/** Python's `str(KeyError(x))` quotes the text; Buildbot's master answers with that string. */
const keyError = (text: string) => new WorkerRequestError(`'${text}'`);

/**
 * One authenticated msgpack_experimental_v7 connection. Sequence numbers are per direction;
 * every worker request gets one response; requests are handled strictly in arrival order.
 */
export class MsgpackChannel implements ProtocolChannel {
  readonly protocol = 'msgpack' as const;
  readonly workerName: string;
  readonly remoteAddress: string;

  readonly #socket: WebSocket;
  readonly #logger: Logger;
  readonly #redactor: Redactor;
  readonly #maxDepth: number;
  readonly #maxReadBlock: number;
  #admitted = false;
  #closed = false;
  #closeError: Error | undefined;
  /** Set when the end of the connection is expected (close(), or the worker acknowledged shutdown). */
  #closeExpected = false;
  #nextSeq = 0;
  readonly #pending = new Map<number, PendingRequest>();
  readonly #commands = new Map<string, CommandSink>();
  readonly #closeListeners: Array<(reason: Error | undefined) => void> = [];
  readonly #shutdownListeners: Array<() => void> = [];
  #inbound: Promise<void> = Promise.resolve();
  #info: MsgpackMap | undefined;
  #settings: Promise<void> | undefined;
  readonly #builders = new Map<string, string>();
  #currentBuilder: string | undefined;
  #internalCommands = 0;
  #awaitingPong = false;
  readonly #pingTimer: NodeJS.Timeout;

  constructor(options: MsgpackChannelOptions) {
    this.#socket = options.socket;
    this.workerName = options.workerName;
    this.remoteAddress = options.remoteAddress;
    this.#logger = options.logger;
    this.#redactor = options.redactor;
    this.#maxDepth = options.maxDepth;
    this.#maxReadBlock = options.maxReadBlock;

    this.#socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    this.#socket.on('pong', () => {
      this.#awaitingPong = false;
    });
    this.#socket.on('error', (error: Error & { code?: string }) => this.#fail(this.#socketError(error)));
    this.#socket.on('close', () => this.#finish());
    this.#pingTimer = setInterval(() => this.#checkLiveness(), options.pingIntervalMs);
    this.#pingTimer.unref();
  }

  /** Called by the listener once `LoginAuthority.admit` accepted the connection: worker requests are served from then on. */
  markAdmitted(): void {
    this.#admitted = true;
  }

  get closed(): boolean {
    return this.#closed;
  }

  // ---- master → worker -------------------------------------------------------------------

  async getWorkerInfo(options?: CallOptions): Promise<RawWorkerInfo> {
    const result = await this.#call('get_worker_info', {}, options);
    if (!isMsgpackMap(result)) {
      throw new WorkerProtocolError(
        `Worker "${this.workerName}" answered get_worker_info with something that is not a map.`,
      );
    }
    this.#info = result;
    return result;
  }

  async print(message: string, options?: CallOptions): Promise<void> {
    await this.#call('print', { message }, options);
  }

  async ping(options?: CallOptions): Promise<void> {
    await this.#call('keepalive', {}, options);
  }

  async setBuilder(builderName: string, builderDirectory: string, options?: CallOptions): Promise<void> {
    const info = await this.#workerInfo(options);
    await this.#ensureSettings(options);
    const basedir = info.basedir;
    if (typeof basedir !== 'string') {
      throw new WorkerProtocolError(
        `Worker "${this.workerName}" did not report its basedir; cannot build absolute paths.`,
      );
    }
    const absolute = joinWorkerPath(this.#system(), basedir, builderDirectory);
    await this.#runInternal('mkdir', { paths: [absolute] }, options);
    this.#builders.set(builderName, absolute);
    this.#currentBuilder = builderName;
  }

  async startCommand(request: MsgpackStartCommandRequest, sink: CommandSink, options?: CallOptions): Promise<void> {
    const builderName = request.builderName ?? this.#currentBuilder;
    const builderDirectory = builderName === undefined ? undefined : this.#builders.get(builderName);
    if (builderName === undefined || builderDirectory === undefined) {
      throw new ConfigurationError(
        `Cannot start "${request.commandName}" on worker "${this.workerName}": call setBuilder(${builderName === undefined ? '' : JSON.stringify(builderName)}…) first, it creates the builder directory the command runs in.`,
      );
    }
    if (this.#commands.has(request.commandId)) {
      throw new ConfigurationError(
        `Command id "${request.commandId}" is already running on worker "${this.workerName}"; use a new id per command.`,
      );
    }
    let translated: { commandName: string; args: Record<string, unknown> };
    try {
      translated = toMsgpackCommand(request.commandName, request.args, {
        system: this.#system(),
        builderDirectory,
        environ: this.#environ(),
      });
    } catch (error) {
      throw new ConfigurationError(
        `Cannot start "${request.commandName}" on worker "${this.workerName}": ${(error as Error).message}.`,
        { cause: error },
      );
    }
    await this.#ensureSettings(options);
    this.#commands.set(request.commandId, sink);
    try {
      await this.#call(
        'start_command',
        {
          builder_name: builderName,
          command_id: request.commandId,
          command_name: translated.commandName,
          args: translated.args,
        },
        options,
      );
    } catch (error) {
      if (this.#commands.get(request.commandId) === sink) this.#commands.delete(request.commandId);
      throw error;
    }
  }

  async interruptCommand(commandId: string, why: string, options?: CallOptions): Promise<void> {
    const fields: Record<string, unknown> = {};
    if (this.#currentBuilder !== undefined) fields.builder_name = this.#currentBuilder;
    fields.command_id = commandId;
    fields.why = why;
    await this.#call('interrupt_command', fields, options);
  }

  async shutdown(options?: CallOptions): Promise<void> {
    await this.#call('shutdown', {}, options);
    this.#closeExpected = true;
  }

  close(reason?: string): void {
    if (this.#closed) return;
    this.#closeExpected = true;
    if (reason !== undefined) this.#log('info', `closing the connection of worker "${this.workerName}": ${reason}`);
    // Like Buildbot's loseConnection: abort; the worker reconnects with its backoff.
    this.#socket.terminate();
  }

  /**
   * `reason` is `undefined` when the end was expected (`close()`, the listener closing, or the
   * worker leaving after `shutdown`), else a `WorkerConnectionLostError` (dropped, or stopped
   * answering pings) or a `WorkerProtocolError` (an invalid or oversized frame).
   */
  onClose(listener: (reason: Error | undefined) => void): void {
    if (this.#closed) {
      queueMicrotask(() => listener(this.#closeError));
      return;
    }
    this.#closeListeners.push(listener);
  }

  /** msgpack workers (3.7) never ask to shut down: registered listeners are never called. */
  onShutdownRequest(listener: () => void): void {
    this.#shutdownListeners.push(listener);
  }

  // ---- internals -------------------------------------------------------------------------

  #system(): WorkerSystem {
    return workerSystemOf(this.#info?.system);
  }

  #environ(): Readonly<Record<string, unknown>> {
    const environ = this.#info?.environ;
    return isMsgpackMap(environ) ? environ : {};
  }

  async #workerInfo(options?: CallOptions): Promise<MsgpackMap> {
    if (this.#info === undefined) await this.getWorkerInfo(options);
    return this.#info as MsgpackMap;
  }

  #ensureSettings(options?: CallOptions): Promise<void> {
    if (this.#settings === undefined) {
      const attempt = this.#call('set_worker_settings', { args: { ...WORKER_SETTINGS } }, options).then(
        () => undefined,
      );
      this.#settings = attempt;
      attempt.catch(() => {
        if (this.#settings === attempt) this.#settings = undefined;
      });
    }
    return this.#settings;
  }

  /** Runs a setup command (Buildbot's attach-time mkdir) and fails unless it ends with rc 0. */
  async #runInternal(commandName: string, args: Record<string, unknown>, options?: CallOptions): Promise<void> {
    const commandId = `latentci-setup-${this.#internalCommands++}`;
    let rc: unknown;
    const text: string[] = [];
    const done = new Promise<string | null>((resolve) => {
      this.#commands.set(commandId, {
        update: (updates) => {
          for (const [key, value] of updates) {
            if (key === 'rc') rc = value;
            else if ((key === 'header' || key === 'stderr') && typeof value === 'string') text.push(value);
          }
        },
        complete: resolve,
      });
    });
    try {
      await this.#call('start_command', { command_id: commandId, command_name: commandName, args }, options);
    } catch (error) {
      this.#commands.delete(commandId);
      throw error;
    }
    const failure = await raceClose(done, this, options);
    if (failure !== null || rc !== 0) {
      const detail = `rc ${String(rc)}${failure ? `, ${failure}` : ''}${text.length ? `: ${text.join('').trim()}` : ''}`;
      throw new WorkerRemoteError(
        this.#text(
          `Worker "${this.workerName}" could not ${commandName} ${JSON.stringify(args)} (${detail}). Check that the worker's basedir is writable.`,
        ),
        this.#text(detail),
      );
    }
  }

  /** Resolves when closed; used to stop waiting for a setup command on a dead connection. */
  whenClosed(): Promise<Error | undefined> {
    return new Promise((resolve) => this.onClose(resolve));
  }

  #call(op: string, fields: Record<string, unknown>, options?: CallOptions): Promise<MsgpackValue> {
    if (this.#closed) return Promise.reject(this.#closeError ?? this.#lostError(op));
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const seq = this.#nextSeq++;
    return new Promise<MsgpackValue>((resolve, reject) => {
      const onAbort = () => {
        this.#pending.delete(seq);
        reject(signal?.reason);
      };
      const cleanup = () => signal?.removeEventListener('abort', onAbort);
      this.#pending.set(seq, {
        op,
        resolve: (value) => {
          cleanup();
          resolve(value);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#send({ op, ...fields, seq_number: seq });
    });
  }

  #send(message: Record<string, unknown>): void {
    if (this.#closed) return;
    this.#socket.send(encodeMsgpack(message), { binary: true }, (error) => {
      if (error)
        this.#fail(
          new WorkerConnectionLostError(
            this.#text(`Sending to worker "${this.workerName}" failed: ${error.message}.`),
            { cause: error },
          ),
        );
    });
  }

  #respond(seq: MsgpackValue, result: MsgpackValue, isException: boolean): void {
    const response: Record<string, unknown> = { op: 'response', seq_number: seq, result };
    if (isException) response.is_exception = true;
    this.#send(response);
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (this.#closed) return;
    if (!isBinary) {
      this.#log(
        'warn',
        `worker "${this.workerName}" sent a text message; msgpack_experimental_v7 uses binary messages only, ignored`,
      );
      return;
    }
    const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    let message: MsgpackMap;
    try {
      message = decodeMsgpackMap(bytes, { maxDepth: this.#maxDepth });
    } catch (error) {
      const cause = error instanceof WorkerProtocolError ? error : new WorkerProtocolError(String(error));
      this.#fail(
        new WorkerProtocolError(
          `Worker "${this.workerName}" (${this.remoteAddress}) sent an invalid frame; connection closed. ${cause.message}`,
          { cause },
        ),
      );
      return;
    }
    const { op, seq_number: seq } = message;
    if (typeof op !== 'string' || seq === undefined) {
      this.#log('warn', `invalid message from worker "${this.workerName}" (no op or seq_number), dropped`);
      return;
    }
    if (op === 'response') {
      this.#onResponse(message);
      return;
    }
    // Strictly in arrival order: an upload's writes finish before its close, `rc` before `complete`.
    this.#inbound = this.#inbound.then(() => this.#serve(op, seq, message));
  }

  #onResponse(message: MsgpackMap): void {
    const seq = message.seq_number;
    const pending = typeof seq === 'number' ? this.#pending.get(seq) : undefined;
    if (pending === undefined) {
      this.#log(
        'debug',
        `response from worker "${this.workerName}" to an unknown or abandoned request ${String(seq)}, ignored`,
      );
      return;
    }
    this.#pending.delete(seq as number);
    if ('is_exception' in message && message.is_exception !== false && message.is_exception !== null) {
      const text = typeof message.result === 'string' ? message.result : JSON.stringify(String(message.result));
      pending.reject(
        new WorkerRemoteError(
          this.#text(`Worker "${this.workerName}" failed ${pending.op}: ${text}`),
          this.#text(text),
        ),
      );
    } else {
      pending.resolve(message.result ?? null);
    }
  }

  async #serve(op: string, seq: MsgpackValue, message: MsgpackMap): Promise<void> {
    if (this.#closed) return;
    // Before admission only the commands the master itself started while admitting (the
    // builder-directory mkdir of setBuilder) may report; Buildbot likewise serves a worker as soon
    // as its connection object exists, before the attach finishes.
    const ownCommand = typeof message.command_id === 'string' && this.#commands.has(message.command_id);
    if (!this.#admitted && !ownCommand) {
      this.#respond(seq, 'Worker not authenticated.', true);
      return;
    }
    try {
      const result = await this.#dispatch(op, message);
      this.#respond(seq, result, false);
    } catch (error) {
      const text =
        error instanceof WorkerRequestError
          ? error.message
          : this.#text(error instanceof Error ? error.message : String(error));
      if (!(error instanceof WorkerRequestError))
        this.#log('warn', `handling ${op} from worker "${this.workerName}" failed: ${text}`);
      this.#respond(seq, text, true);
    }
  }

  async #dispatch(op: string, message: MsgpackMap): Promise<MsgpackValue> {
    switch (op) {
      case 'update': {
        const sink = this.#sink(message, 'command_id', 'args');
        sink.update(normalizeUpdates(message.args));
        return null;
      }
      case 'complete': {
        const sink = this.#sink(message, 'command_id', 'args');
        this.#commands.delete(message.command_id as string);
        const failure = message.args;
        sink.complete(failure === null ? null : typeof failure === 'string' ? failure : JSON.stringify(failure));
        return null;
      }
      case 'update_upload_file_write':
      case 'update_upload_directory_write': {
        const writer = this.#writer(message, 'command_id', 'args');
        const data = message.args;
        await writer.write(
          typeof data === 'string'
            ? new TextEncoder().encode(data)
            : data instanceof Uint8Array
              ? data
              : failType('args', 'bytes'),
        );
        return null;
      }
      case 'update_upload_file_utime': {
        // Buildbot 3.7's master passes the key names instead of the values here and fails every
        // keepstamp upload; the 3.7 worker sends the two floats, which is what the writer gets.
        const writer = this.#writer(message, 'command_id', 'access_time', 'modified_time');
        const { access_time: accessTime, modified_time: modifiedTime } = message;
        if (typeof accessTime !== 'number' || typeof modifiedTime !== 'number')
          failType('access_time/modified_time', 'numbers');
        await writer.utime?.(accessTime as number, modifiedTime as number);
        return null;
      }
      case 'update_upload_file_close':
        await this.#writer(message, 'command_id').close();
        return null;
      case 'update_upload_directory_unpack': {
        const writer = this.#writer(message, 'command_id');
        if (writer.unpack === undefined) throw new WorkerRequestError('this upload target cannot unpack a directory');
        await writer.unpack();
        return null;
      }
      case 'update_read_file': {
        // Buildbot's master (3.7 and HEAD) reads the block but answers null, so downloads arrive
        // empty; the 3.7 worker writes whatever `result` holds, so the block goes back here.
        const reader = this.#reader(message, 'command_id', 'length');
        const length = message.length;
        if (typeof length !== 'number' || !Number.isInteger(length) || length < 0)
          failType('length', 'a non-negative integer');
        const block = await reader.read(Math.min(length as number, this.#maxReadBlock));
        return block instanceof Uint8Array ? block : failType('the reader result', 'bytes');
      }
      case 'update_read_file_close':
        await this.#reader(message, 'command_id').close();
        return null;
      default:
        throw new WorkerRequestError(`Command ${op} does not exist.`);
    }
  }

  #sink(message: MsgpackMap, ...keys: string[]): CommandSink {
    for (const key of keys) if (!(key in message)) throw keyError(`message did not contain obligatory "${key}" key`);
    const id = message.command_id;
    const sink = typeof id === 'string' ? this.#commands.get(id) : undefined;
    if (sink === undefined) throw keyError('unknown "command_id"');
    return sink;
  }

  #writer(message: MsgpackMap, ...keys: string[]): FileWriterTarget {
    const writer = this.#sink(message, ...keys).writer;
    if (writer === undefined) throw keyError('unknown "command_id"');
    return writer;
  }

  #reader(message: MsgpackMap, ...keys: string[]): FileReaderSource {
    const reader = this.#sink(message, ...keys).reader;
    if (reader === undefined) throw keyError('unknown "command_id"');
    return reader;
  }

  /** `ws` reports frames that break RFC 6455 or the size limit with a `WS_ERR_…` code; anything else is the network. */
  #socketError(error: Error & { code?: string }): Error {
    const where = `worker "${this.workerName}" (${this.remoteAddress})`;
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      return new WorkerProtocolError(`msgpack: ${where} sent a message over the frame size limit; connection closed.`, {
        limit: 'maxFrameBytes',
        cause: error,
      });
    }
    if (error.code?.startsWith('WS_ERR_')) {
      return new WorkerProtocolError(
        this.#text(`msgpack: ${where} broke the WebSocket protocol (${error.message}); connection closed.`),
        {
          cause: error,
        },
      );
    }
    return new WorkerConnectionLostError(this.#text(`The connection to ${where} failed: ${error.message}.`), {
      cause: error,
    });
  }

  #checkLiveness(): void {
    if (this.#closed) return;
    if (this.#awaitingPong) {
      this.#fail(
        new WorkerConnectionLostError(
          `Worker "${this.workerName}" (${this.remoteAddress}) stopped answering WebSocket pings; connection dropped (it will reconnect if it is still alive).`,
        ),
      );
      return;
    }
    this.#awaitingPong = true;
    this.#socket.ping();
  }

  #fail(error: Error): void {
    if (this.#closed || this.#closeError !== undefined) return;
    this.#closeError = this.#redactor.redactError(error);
    this.#log('warn', error.message);
    this.#socket.terminate();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    const failure = this.#closeError;
    if (this.#closeError === undefined && !this.#closeExpected) {
      this.#closeError = new WorkerConnectionLostError(
        `Worker "${this.workerName}" (${this.remoteAddress}) dropped the connection; it reconnects on its own if it is still running.`,
      );
    }
    clearInterval(this.#pingTimer);
    for (const [seq, pending] of this.#pending) {
      this.#pending.delete(seq);
      pending.reject(failure ?? this.#lostError(pending.op));
    }
    const listeners = this.#closeListeners.splice(0);
    for (const listener of listeners) {
      try {
        listener(this.#closeError);
      } catch (error) {
        this.#log('error', `an onClose listener of worker "${this.workerName}" threw: ${(error as Error).message}`);
      }
    }
  }

  #lostError(op: string): WorkerConnectionLostError {
    return new WorkerConnectionLostError(
      `The connection to worker "${this.workerName}" (${this.remoteAddress}) closed before it answered ${op}; the worker reconnects on its own if it is still running.`,
    );
  }

  #text(text: string): string {
    return this.#redactor.redact(text);
  }

  #log(level: LogLevel, message: string): void {
    this.#logger.log(level, this.#redactor.redact(message), { worker: this.workerName, protocol: 'msgpack' });
  }
}

function failType(what: string, expected: string): never {
  throw new WorkerRequestError(`${what} must be ${expected}`);
}

async function raceClose<T>(promise: Promise<T>, channel: MsgpackChannel, options?: CallOptions): Promise<T> {
  const signal = options?.signal;
  return await new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal?.removeEventListener('abort', onAbort));
    channel
      .whenClosed()
      .then((error) =>
        reject(
          error ??
            new WorkerConnectionLostError(
              `The connection to worker "${channel.workerName}" closed during a setup command.`,
            ),
        ),
      );
  });
}
