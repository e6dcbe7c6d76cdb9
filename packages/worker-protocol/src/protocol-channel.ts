/**
 * The seam between the two wire protocols and everything above them. PB (`src/pb/`) and
 * msgpack_experimental_v7 (`src/msgpack/`) each turn an authenticated worker connection into a
 * `ProtocolChannel`; the protocol-neutral `WorkerConnection`, `startWorkerServer` and the
 * lifecycle wiring are written once against this interface and never look at bytes.
 *
 * Values crossing this seam are plain JavaScript: text as `string`, byte strings as `Uint8Array`,
 * integers as `number` (or `bigint` beyond 2^53), dicts as null-prototype objects.
 */

/** The wire protocols a buildbot-worker can speak (its `BUILDMASTER_PROTOCOL` / `protocol` setting). */
export const WORKER_PROTOCOL_NAMES = ['pb', 'msgpack'] as const;

export type WorkerProtocolName = (typeof WORKER_PROTOCOL_NAMES)[number];

/** What a worker answers to `getWorkerInfo` / `get_worker_info` (keys as the worker sends them). */
export type RawWorkerInfo = Readonly<Record<string, unknown>>;

/**
 * Receives what the worker sends about one running command. Both protocols route the worker's
 * calls (`update`, `complete`, file writer/reader calls) to the sink given to `startCommand`.
 */
export interface CommandSink {
  /** One `update` call: `[key, value]` pairs in the order the worker sent them (`stdout`, `rc`, `header`…). */
  update(updates: ReadonlyArray<readonly [string, unknown]>): void;
  /** The command ended: `failure` is `null` on a normal end, else the worker's failure text. */
  complete(failure: string | null): void;
  /** For `uploadFile` / `uploadDirectory`: where the worker's `write`/`utime`/`unpack`/`close` go. */
  readonly writer?: FileWriterTarget;
  /** For `downloadFile`: what the worker's `read`/`close` read from. */
  readonly reader?: FileReaderSource;
}

export interface FileWriterTarget {
  write(data: Uint8Array): void | Promise<void>;
  utime?(accessTime: number, modifiedTime: number): void | Promise<void>;
  unpack?(): void | Promise<void>;
  close(): void | Promise<void>;
}

export interface FileReaderSource {
  /** Up to `maxLength` bytes; an empty array at end of file. */
  read(maxLength: number): Uint8Array | Promise<Uint8Array>;
  close(): void | Promise<void>;
}

export interface StartCommandRequest {
  readonly commandId: string;
  /** A worker command name: `shell`, `mkdir`, `rmdir`, `stat`, `listdir`, `uploadFile`, `downloadFile`… */
  readonly commandName: string;
  /**
   * The command's arguments as Buildbot sends them. Paths (`workdir`, `dir`, `path`, `workersrc`,
   * `workerdest`) are relative to the builder directory; each channel turns them into what its
   * protocol expects (PB: relative, resolved by the worker; msgpack: absolute from `basedir`).
   * The channel adds the protocol's own reference to the sink's writer/reader (PB: a remote
   * reference in `args.writer`/`args.reader`; msgpack: routed by `command_id`).
   */
  readonly args: Readonly<Record<string, unknown>>;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** An authenticated worker connection, seen through one protocol. */
export interface ProtocolChannel {
  readonly protocol: WorkerProtocolName;
  readonly workerName: string;
  /** `host:port` of the peer, for messages. */
  readonly remoteAddress: string;
  getWorkerInfo(options?: CallOptions): Promise<RawWorkerInfo>;
  /** Asks the worker to print a message in its log (also Buildbot's ping). */
  print(message: string, options?: CallOptions): Promise<void>;
  /** Proof of life: resolves when the worker answers (PB: `print`; msgpack: `keepalive`). */
  ping(options?: CallOptions): Promise<void>;
  /**
   * Declares the builder directory (PB `setBuilderList`, msgpack `mkdir` of `<basedir>/<builderDirectory>`).
   * Called once before the first command.
   */
  setBuilder(builderName: string, builderDirectory: string, options?: CallOptions): Promise<void>;
  /** Starts a command; resolves once the worker accepted it. Its progress reaches `sink`. */
  startCommand(request: StartCommandRequest, sink: CommandSink, options?: CallOptions): Promise<void>;
  interruptCommand(commandId: string, why: string, options?: CallOptions): Promise<void>;
  /** Graceful shutdown: the worker answers, then its process exits. */
  shutdown(options?: CallOptions): Promise<void>;
  /** Drops the connection (the worker will reconnect). Idempotent. */
  close(reason?: string): void;
  /** Called once when the connection is gone, for whatever reason. */
  onClose(listener: (reason: Error | undefined) => void): void;
  /** Called when the worker itself asks to shut down (PB `perspective.shutdown()`). */
  onShutdownRequest(listener: () => void): void;
}

/**
 * How a protocol listener asks the server about a login. The listener never stores passwords:
 * it asks for one at login time (so auto passwords of latent workers work) and keeps nothing.
 */
export interface LoginAuthority {
  /** The password registered for `workerName`, or `undefined` when no such worker is known. */
  passwordFor(workerName: string): Promise<string | undefined>;
  /**
   * Called after the password was verified, before the worker is told it logged in. Returns
   * `false` to refuse (for example a duplicate of a worker that still answers a ping).
   */
  admit(channel: ProtocolChannel): Promise<boolean>;
}
