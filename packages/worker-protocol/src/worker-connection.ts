import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { type Logger, silentLogger } from '@latentci/core';
import { WorkerConnectionLostError, WorkerRemoteError } from './errors.js';
import type { CommandSink, FileReaderSource, FileWriterTarget, ProtocolChannel } from './protocol-channel.js';
import { toWorkerInfo, type WorkerInfo } from './worker-info.js';

/** One `update` key and value as the worker sent it (`stdout`, `stderr`, `header`, `rc`, `elapsed`, `files`, `stat`…). */
export type CommandUpdateListener = (key: string, value: unknown) => void;

export interface RunCommandOptions {
  readonly onUpdate?: CommandUpdateListener;
  /** Aborting interrupts the command on the worker; the call then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** For upload commands: where the worker's `write` calls go. */
  readonly writer?: FileWriterTarget;
  /** For download commands: what the worker's `read` calls read. */
  readonly reader?: FileReaderSource;
}

export interface CommandResult {
  /** Exit code (`-1` when killed by a signal), when the command reported one. */
  readonly rc: number | undefined;
  /** Seconds the command took, as the worker measured it. */
  readonly elapsed: number | undefined;
  /** The last value of every update key. */
  readonly updates: Readonly<Record<string, unknown>>;
}

export interface ShellOptions {
  /** An argv list (run directly) or a string (run with `/bin/sh -c`). */
  readonly command: string | readonly string[];
  /** Relative to the builder directory (default `build`). */
  readonly workdir?: string;
  /** Extra environment; `null` removes a variable; `${NAME}` is expanded by the worker. */
  readonly env?: Readonly<Record<string, string | readonly string[] | null>>;
  /** Seconds without output before the worker kills the command (default 1200; `null`: never). */
  readonly timeout?: number | null;
  /** Seconds in total before the worker kills the command (default: no limit). */
  readonly maxTime?: number | null;
  readonly usePty?: boolean;
  /** Whether the worker echoes its environment in the header (default true, as Buildbot). */
  readonly logEnviron?: boolean;
  /** Text written to the command's standard input. */
  readonly stdin?: string;
  /** Signal an interrupt delivers (default `KILL`). */
  readonly interruptSignal?: string;
}

export type OutputStream = 'stdout' | 'stderr' | 'header';

export interface RunShellOptions {
  /** Output as it arrives, in whole lines. Without it, stdout and stderr are collected into the result. */
  readonly onOutput?: (stream: OutputStream, text: string) => void;
  readonly signal?: AbortSignal;
}

export interface ShellResult {
  readonly rc: number;
  readonly elapsed: number | undefined;
  /** Collected stdout (only when no `onOutput` was given). */
  readonly stdout: string;
  /** Collected stderr (only when no `onOutput` was given). */
  readonly stderr: string;
  /** The worker's header lines (command line, environment, kill messages). */
  readonly header: string;
}

export interface WorkerStat {
  readonly mode: number;
  readonly size: number;
  readonly mtime: number;
  readonly atime: number;
  readonly ctime: number;
  readonly uid: number;
  readonly gid: number;
}

export interface TransferOptions {
  /** Most bytes to transfer; the worker fails the command beyond it. */
  readonly maxSize?: number;
  /** Bytes per `write`/`read` call (default 16 KiB, as Buildbot). */
  readonly blockSize?: number;
  readonly signal?: AbortSignal;
}

export interface WorkerConnectionOptions {
  readonly logger?: Logger;
  /** Seconds between the master's keepalive pings (default 600; Buildbot sends one every 3600). */
  readonly keepaliveInterval?: number;
  /** Seconds a keepalive may wait for its answer before the connection is declared dead (default 30). */
  readonly keepaliveTimeout?: number;
  /** The builder directory commands run in, relative to the worker's basedir (default `latentci`). */
  readonly builderDirectory?: string;
}

let nextCommandId = 0;

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return '';
}

/**
 * An authenticated worker, whatever protocol it speaks: its `info` and the commands a Buildbot
 * master runs on it. Paths are relative to the builder directory on the worker.
 */
export class WorkerConnection {
  readonly name: string;
  readonly protocol: ProtocolChannel['protocol'];
  readonly builderDirectory: string;
  #info: WorkerInfo | undefined;
  readonly #channel: ProtocolChannel;
  readonly #logger: Logger;
  readonly #running = new Map<string, (error: Error) => void>();
  readonly #closed: Promise<Error | undefined>;
  #isClosed = false;
  #keepalive: NodeJS.Timeout | undefined;
  readonly #keepaliveTimeout: number;
  readonly #keepaliveInterval: number;

  constructor(channel: ProtocolChannel, options: WorkerConnectionOptions = {}) {
    this.#channel = channel;
    this.name = channel.workerName;
    this.protocol = channel.protocol;
    this.builderDirectory = options.builderDirectory ?? 'latentci';
    this.#logger = options.logger ?? silentLogger;
    this.#keepaliveInterval = (options.keepaliveInterval ?? 600) * 1000;
    this.#keepaliveTimeout = (options.keepaliveTimeout ?? 30) * 1000;
    this.#closed = new Promise((resolve) => {
      channel.onClose((reason) => {
        this.#isClosed = true;
        if (this.#keepalive) clearInterval(this.#keepalive);
        const lost = new WorkerConnectionLostError(`The connection to worker ${this.name} was lost`, { cause: reason });
        for (const fail of this.#running.values()) fail(lost);
        this.#running.clear();
        resolve(reason);
      });
    });
  }

  /** `host:port` of the worker (read by core's lifecycle messages). */
  get peer(): string {
    return this.#channel.remoteAddress;
  }

  /** The worker's answer to `getWorkerInfo` (read during login). */
  get info(): WorkerInfo {
    if (!this.#info) throw new WorkerConnectionLostError(`Worker ${this.name} has not been prepared yet`);
    return this.#info;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Resolves once the connection is gone, with the reason when it was not a normal close. */
  get closed(): Promise<Error | undefined> {
    return this.#closed;
  }

  /** Login-time preparation (what Buildbot does before answering the login): info and builder list. */
  async prepare(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#channel.print('attached', options);
    this.#info = toWorkerInfo(await this.#channel.getWorkerInfo(options));
    await this.#channel.setBuilder(this.builderDirectory, this.builderDirectory, options);
    if (this.#keepaliveInterval > 0) {
      this.#keepalive = setInterval(() => void this.#sendKeepalive(), this.#keepaliveInterval);
      this.#keepalive.unref();
    }
  }

  async #sendKeepalive(): Promise<void> {
    try {
      await this.#channel.print('keepalive', { signal: AbortSignal.timeout(this.#keepaliveTimeout) });
    } catch (error) {
      if (this.#isClosed) return;
      const message = `worker ${this.name} did not answer a keepalive within ${this.#keepaliveTimeout / 1000} s; closing its connection`;
      this.#logger.log('warn', message);
      this.#channel.close(message);
      void error;
    }
  }

  /** Proof of life: resolves when the worker answers (Buildbot's ping). */
  ping(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.#channel.ping(options);
  }

  /** Runs any worker command; resolves when the worker reports it complete. */
  runCommand(
    name: string,
    args: Readonly<Record<string, unknown>>,
    options: RunCommandOptions = {},
  ): Promise<CommandResult> {
    const { signal } = options;
    if (this.#isClosed) {
      return Promise.reject(new WorkerConnectionLostError(`Worker ${this.name} is not connected`));
    }
    signal?.throwIfAborted();
    const commandId = String(nextCommandId);
    nextCommandId += 1;
    return new Promise<CommandResult>((resolve, reject) => {
      const updates: Record<string, unknown> = Object.create(null);
      let settled = false;
      const finish = (error: Error | undefined) => {
        if (settled) return;
        settled = true;
        this.#running.delete(commandId);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else if (signal?.aborted) reject(signal.reason);
        else {
          const rc = updates.rc;
          const elapsed = updates.elapsed;
          resolve({
            rc: typeof rc === 'number' ? rc : undefined,
            elapsed: typeof elapsed === 'number' ? elapsed : undefined,
            updates,
          });
        }
      };
      const onAbort = () => {
        this.#channel.interruptCommand(commandId, 'interrupted by the master').catch(() => {});
      };
      const sink: CommandSink = {
        update: (entries) => {
          for (const [key, value] of entries) {
            updates[key] = value;
            options.onUpdate?.(key, value);
          }
        },
        complete: (failure) => {
          finish(
            failure === null
              ? undefined
              : new WorkerRemoteError(
                  `Command ${name} failed on worker ${this.name}: ${failure}`,
                  failure.split(':')[0] ?? 'failure',
                ),
          );
        },
        ...(options.writer ? { writer: options.writer } : {}),
        ...(options.reader ? { reader: options.reader } : {}),
      };
      this.#running.set(commandId, finish);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#channel.startCommand({ commandId, commandName: name, args }, sink).catch((error: Error) => finish(error));
    });
  }

  /** Runs a shell command; output is streamed to `onOutput` as the worker sends it. */
  async runShell(shell: ShellOptions, options: RunShellOptions = {}): Promise<ShellResult> {
    let stdout = '';
    let stderr = '';
    let header = '';
    const onOutput = options.onOutput;
    const result = await this.runCommand(
      'shell',
      {
        workdir: shell.workdir ?? 'build',
        env: shell.env ?? {},
        want_stdout: true,
        want_stderr: true,
        logfiles: {},
        timeout: shell.timeout === undefined ? 1200 : shell.timeout,
        maxTime: shell.maxTime ?? null,
        sigtermTime: null,
        usePTY: shell.usePty ?? false,
        logEnviron: shell.logEnviron ?? true,
        initial_stdin: shell.stdin ?? null,
        interruptSignal: shell.interruptSignal ?? 'KILL',
        command: typeof shell.command === 'string' ? shell.command : [...shell.command],
      },
      {
        ...(options.signal ? { signal: options.signal } : {}),
        onUpdate: (key, value) => {
          if (key !== 'stdout' && key !== 'stderr' && key !== 'header') return;
          const chunk = text(value);
          if (key === 'header') header += chunk;
          if (onOutput) onOutput(key, chunk);
          else if (key === 'stdout') stdout += chunk;
          else if (key === 'stderr') stderr += chunk;
        },
      },
    );
    return { rc: result.rc ?? -1, elapsed: result.elapsed, stdout, stderr, header };
  }

  /** Interrupts a running command (every running command when no id is given). */
  async interrupt(commandId?: string, why = 'interrupted by the master'): Promise<void> {
    const ids = commandId === undefined ? [...this.#running.keys()] : [commandId];
    await Promise.all(ids.map((id) => this.#channel.interruptCommand(id, why)));
  }

  /** Ids of the commands running on this connection. */
  get runningCommands(): readonly string[] {
    return [...this.#running.keys()];
  }

  async #checked(name: string, args: Record<string, unknown>, options: RunCommandOptions = {}): Promise<CommandResult> {
    let header = '';
    let stderr = '';
    const result = await this.runCommand(name, args, {
      ...options,
      onUpdate: (key, value) => {
        if (key === 'header') header += text(value);
        if (key === 'stderr') stderr += text(value);
        options.onUpdate?.(key, value);
      },
    });
    if (result.rc !== undefined && result.rc !== 0) {
      const detail = (stderr || header).trim();
      throw new WorkerRemoteError(
        `${name} failed on worker ${this.name} with rc ${result.rc}${detail ? `: ${detail}` : ''}`,
        `rc ${result.rc}`,
      );
    }
    return result;
  }

  /** Creates a directory (and its parents). */
  async mkdir(path: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#checked('mkdir', { dir: path }, options);
  }

  /** Removes a directory tree. */
  async rmdir(path: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#checked('rmdir', { dir: path, logEnviron: false, timeout: 120, maxTime: null }, options);
  }

  /** `os.stat` of a path. */
  async stat(path: string, options: { signal?: AbortSignal } = {}): Promise<WorkerStat> {
    const result = await this.#checked('stat', { file: path }, options);
    const fields = result.updates.stat;
    if (!Array.isArray(fields) || fields.length < 10) {
      throw new WorkerRemoteError(`stat of ${path} on worker ${this.name} returned no stat`, 'stat');
    }
    const field = (index: number) => Number(fields[index]);
    return {
      mode: field(0),
      uid: field(4),
      gid: field(5),
      size: field(6),
      atime: field(7),
      mtime: field(8),
      ctime: field(9),
    };
  }

  /** Names in a directory. */
  async listdir(path: string, options: { signal?: AbortSignal } = {}): Promise<string[]> {
    const result = await this.#checked('listdir', { dir: path }, options);
    const files = result.updates.files;
    return Array.isArray(files) ? files.map((name) => text(name)) : [];
  }

  /** Worker → master: copies `workerPath` (relative to the builder directory) to `localPath`. Returns the byte count. */
  async uploadFile(workerPath: string, localPath: string, options: TransferOptions = {}): Promise<number> {
    const stream = createWriteStream(localPath);
    let bytes = 0;
    const writer: FileWriterTarget = {
      write: (data) =>
        new Promise<void>((resolve, reject) => {
          bytes += data.length;
          stream.write(data, (error) => (error ? reject(error) : resolve()));
        }),
      close: () => new Promise<void>((resolve) => stream.end(resolve)),
    };
    try {
      await this.#checked(
        'uploadFile',
        {
          workdir: '.',
          workersrc: workerPath,
          maxsize: options.maxSize ?? null,
          blocksize: options.blockSize ?? 16 * 1024,
          keepstamp: false,
        },
        { writer, ...(options.signal ? { signal: options.signal } : {}) },
      );
    } finally {
      if (!stream.closed) await new Promise<void>((resolve) => stream.end(resolve));
    }
    return bytes;
  }

  /** Master → worker: copies `localPath` to `workerPath` (relative to the builder directory). Returns the byte count. */
  async downloadFile(
    localPath: string,
    workerPath: string,
    options: TransferOptions & { mode?: number } = {},
  ): Promise<number> {
    const handle = await open(localPath, 'r');
    let bytes = 0;
    const reader: FileReaderSource = {
      read: async (maxLength) => {
        const buffer = Buffer.alloc(maxLength);
        const { bytesRead } = await handle.read(buffer, 0, maxLength, null);
        bytes += bytesRead;
        return buffer.subarray(0, bytesRead);
      },
      close: async () => {},
    };
    try {
      await this.#checked(
        'downloadFile',
        {
          workdir: '.',
          workerdest: workerPath,
          maxsize: options.maxSize ?? null,
          blocksize: options.blockSize ?? 16 * 1024,
          mode: options.mode ?? null,
        },
        { reader, ...(options.signal ? { signal: options.signal } : {}) },
      );
    } finally {
      await handle.close();
    }
    return bytes;
  }

  /** Graceful shutdown: the worker process exits. Resolves once the connection is gone. */
  async shutdown(options: { signal?: AbortSignal; timeout?: number } = {}): Promise<void> {
    if (this.#isClosed) return;
    try {
      await this.#channel.shutdown(options.signal ? { signal: options.signal } : {});
    } catch (error) {
      if (!(error instanceof WorkerConnectionLostError)) throw error;
    }
    const timeout = setTimeout(
      () => this.#channel.close('the worker did not close after shutdown'),
      (options.timeout ?? 10) * 1000,
    );
    await this.#closed;
    clearTimeout(timeout);
  }

  /** Drops the connection (a worker reconnects on its own). Resolves once it is gone. */
  async close(reason = 'closed by the master'): Promise<void> {
    this.#channel.close(reason);
    await this.#closed;
  }

  /** Called when the worker asks to shut down (`--allow-shutdown`). */
  onShutdownRequest(listener: () => void): void {
    this.#channel.onShutdownRequest(listener);
  }
}
