import { WorkerConnectionLostError, WorkerProtocolError } from '../errors.js';
import type {
  CallOptions,
  CommandSink,
  ProtocolChannel,
  RawWorkerInfo,
  StartCommandRequest,
} from '../protocol-channel.js';
import { BANANA_SIZE_LIMIT } from './banana.js';
import { type PbBroker, type PbReferenceable, RemoteReference } from './broker.js';
import { noSuchMethod } from './failure.js';
import { JellyTuple, textOf, toPlain } from './jelly.js';

/** The master-side RemoteCommand: the worker calls `update` and `complete` on it. */
class RemoteCommandObject implements PbReferenceable {
  #highest = 0;

  constructor(
    private readonly sink: CommandSink,
    private readonly done: () => void,
  ) {}

  remoteCall(method: string, args: readonly unknown[]): unknown {
    if (method === 'update') {
      const updates = args[0];
      if (!Array.isArray(updates)) throw new WorkerProtocolError('PB: update without a list of updates');
      for (const pair of updates) {
        const items = Array.isArray(pair) ? pair : pair instanceof JellyTuple ? pair.items : undefined;
        const dict = items?.[0];
        if (!(dict instanceof Map)) throw new WorkerProtocolError('PB: an update is not a [dict, number] pair');
        const number = items?.[1];
        if (typeof number === 'number' && number > this.#highest) this.#highest = number;
        const entries: [string, unknown][] = [];
        for (const [key, value] of dict) entries.push([textOf(key) ?? String(key), toPlain(value)]);
        this.sink.update(entries);
      }
      return this.#highest;
    }
    if (method === 'complete') {
      const failure = args[0];
      this.done();
      this.sink.complete(failure === null || failure === undefined ? null : describeFailure(failure));
      return null;
    }
    throw noSuchMethod('remote', method);
  }
}

function describeFailure(failure: unknown): string {
  const plain = toPlain(failure);
  if (plain && typeof plain === 'object' && 'state' in plain) {
    const state = toPlain((plain as { state: unknown }).state) as Record<string, unknown> | null;
    if (state && typeof state === 'object') {
      const type = textOf(state.type) ?? 'failure';
      const value = textOf(state.value) ?? '';
      return `${type}: ${value}`;
    }
  }
  return String(textOf(failure) ?? 'the command failed on the worker');
}

/** The master-side FileWriter of `uploadFile` / `uploadDirectory`. */
class FileWriterObject implements PbReferenceable {
  constructor(private readonly sink: CommandSink) {}

  async remoteCall(method: string, args: readonly unknown[]): Promise<unknown> {
    const writer = this.sink.writer;
    if (!writer) throw noSuchMethod('remote', method);
    switch (method) {
      case 'write': {
        const data = args[0];
        const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        if (!(bytes instanceof Uint8Array)) throw new WorkerProtocolError('PB: write without data');
        await writer.write(bytes);
        return null;
      }
      case 'utime': {
        const times = args[0];
        const items = times instanceof JellyTuple ? times.items : Array.isArray(times) ? times : [];
        await writer.utime?.(Number(items[0]), Number(items[1]));
        return null;
      }
      case 'unpack':
        await writer.unpack?.();
        return null;
      case 'close':
        await writer.close();
        return null;
      default:
        throw noSuchMethod('remote', method);
    }
  }
}

/** The master-side FileReader of `downloadFile`. */
class FileReaderObject implements PbReferenceable {
  constructor(private readonly sink: CommandSink) {}

  async remoteCall(method: string, args: readonly unknown[]): Promise<unknown> {
    const reader = this.sink.reader;
    if (!reader) throw noSuchMethod('remote', method);
    if (method === 'read') {
      const length = args[0];
      if (typeof length !== 'number' || length < 0) throw new WorkerProtocolError('PB: read without a length');
      return reader.read(Math.min(length, BANANA_SIZE_LIMIT));
    }
    if (method === 'close') {
      await reader.close();
      return null;
    }
    throw noSuchMethod('remote', method);
  }
}

/** Calls the avatar (perspective) receives from the worker. */
export interface PerspectiveEvents {
  keepalive(): void;
  shutdown(): void;
}

/** The avatar the worker holds: `keepalive` and `shutdown` (Buildbot's `perspective_*`). */
export class PbPerspective implements PbReferenceable {
  constructor(private readonly events: PerspectiveEvents) {}

  remoteCall(method: string): unknown {
    if (method === 'keepalive') {
      this.events.keepalive();
      return null;
    }
    if (method === 'shutdown') {
      this.events.shutdown();
      return null;
    }
    throw noSuchMethod('perspective', method);
  }
}

/** A `ProtocolChannel` over an authenticated PB connection: the mind is the worker's Bot. */
export class PbChannel implements ProtocolChannel {
  readonly protocol = 'pb' as const;
  readonly workerName: string;
  readonly #broker: PbBroker;
  readonly #bot: RemoteReference;
  readonly #builders = new Map<string, string>();
  #builder: RemoteReference | undefined;
  readonly #shutdownListeners: (() => void)[] = [];
  /** When the worker was last heard from (any call or answer). */
  lastKeepalive = Date.now();
  readonly perspective: PbPerspective;

  constructor(broker: PbBroker, bot: RemoteReference, workerName: string) {
    this.#broker = broker;
    this.#bot = bot;
    this.workerName = workerName;
    this.perspective = new PbPerspective({
      keepalive: () => {
        this.lastKeepalive = Date.now();
      },
      shutdown: () => {
        for (const listener of this.#shutdownListeners) listener();
      },
    });
  }

  get remoteAddress(): string {
    return this.#broker.remoteAddress;
  }

  async getWorkerInfo(options: CallOptions = {}): Promise<RawWorkerInfo> {
    const info = toPlain(await this.#bot.callRemote('getWorkerInfo', [], {}, options));
    if (!info || typeof info !== 'object' || Array.isArray(info)) {
      throw new WorkerProtocolError('PB: getWorkerInfo did not answer a dictionary');
    }
    return info as RawWorkerInfo;
  }

  async print(message: string, options: CallOptions = {}): Promise<void> {
    await this.#bot.callRemote('print', [], { message }, options);
  }

  ping(options: CallOptions = {}): Promise<void> {
    return this.print('ping', options);
  }

  async setBuilder(builderName: string, builderDirectory: string, options: CallOptions = {}): Promise<void> {
    this.#builders.set(builderName, builderDirectory);
    const wanted = [...this.#builders].map(([name, directory]) => new JellyTuple([name, directory]));
    const answer = await this.#bot.callRemote('setBuilderList', [wanted], {}, options);
    const builder = answer instanceof Map ? answer.get(builderName) : undefined;
    if (!(builder instanceof RemoteReference)) {
      throw new WorkerProtocolError(`PB: setBuilderList did not return builder ${builderName}`);
    }
    this.#builder = builder;
  }

  async startCommand(request: StartCommandRequest, sink: CommandSink, options: CallOptions = {}): Promise<void> {
    const builder = this.#builder;
    if (!builder) throw new WorkerConnectionLostError('setBuilder must be called before the first command');
    const objects: PbReferenceable[] = [];
    const release = () => {
      for (const object of objects) this.#broker.release(object);
    };
    const command = new RemoteCommandObject(sink, release);
    objects.push(command);
    const args: Record<string, unknown> = { ...request.args };
    if (sink.writer) {
      const writer = new FileWriterObject(sink);
      objects.push(writer);
      args.writer = writer;
    }
    if (sink.reader) {
      const reader = new FileReaderObject(sink);
      objects.push(reader);
      args.reader = reader;
    }
    try {
      await builder.callRemote('startCommand', [command, request.commandId, request.commandName, args], {}, options);
    } catch (error) {
      release();
      throw error;
    }
  }

  async interruptCommand(commandId: string, why: string, options: CallOptions = {}): Promise<void> {
    const builder = this.#builder;
    if (!builder) return;
    await builder.callRemote('interruptCommand', [commandId, why], {}, options);
  }

  async shutdown(options: CallOptions = {}): Promise<void> {
    try {
      await this.#bot.callRemote('shutdown', [], {}, options);
    } catch (error) {
      // The worker may stop before its answer leaves: the connection closing is the answer.
      if (!(error instanceof WorkerConnectionLostError)) throw error;
    }
  }

  close(reason?: string): void {
    this.#broker.close(reason === undefined ? undefined : new WorkerConnectionLostError(reason));
  }

  onClose(listener: (reason: Error | undefined) => void): void {
    this.#broker.onClose(listener);
  }

  onShutdownRequest(listener: () => void): void {
    this.#shutdownListeners.push(listener);
  }
}
