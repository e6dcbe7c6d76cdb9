import type {
  CommandSink,
  FileReaderSource,
  FileWriterTarget,
  LoginAuthority,
  ProtocolChannel,
} from '../../protocol-channel.js';
import type { MsgpackStartCommandRequest } from '../msgpack-channel.js';

/** A test-only LoginAuthority: passwords in a map, every verified worker admitted; channels queued for the test. */
export class TestAuthority implements LoginAuthority {
  readonly passwords = new Map<string, string>();
  readonly lookups: string[] = [];
  readonly #waiting: Array<(channel: ProtocolChannel) => void> = [];
  readonly #ready: ProtocolChannel[] = [];

  async passwordFor(workerName: string): Promise<string | undefined> {
    this.lookups.push(workerName);
    return this.passwords.get(workerName);
  }

  async admit(): Promise<boolean> {
    return true;
  }

  /** Give this to the listener as `onChannel`. */
  readonly onChannel = (channel: ProtocolChannel): void => {
    const waiter = this.#waiting.shift();
    if (waiter) waiter(channel);
    else this.#ready.push(channel);
  };

  nextChannel(timeoutMs = 20_000): Promise<ProtocolChannel> {
    const ready = this.#ready.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no worker connected within ${timeoutMs} ms`)), timeoutMs);
      this.#waiting.push((channel) => {
        clearTimeout(timer);
        resolve(channel);
      });
    });
  }
}

export interface CommandResult {
  readonly updates: Array<readonly [string, unknown]>;
  readonly failure: string | null;
  readonly rc: unknown;
  readonly stdout: string;
  readonly stderr: string;
  readonly header: string;
}

export interface RunningCommand {
  readonly commandId: string;
  /** Resolves when the worker accepted the command. */
  readonly started: Promise<void>;
  /** Resolves on `complete`. */
  readonly result: Promise<CommandResult>;
}

let commandCounter = 0;

/** Starts a command through the channel and collects what the worker reports. */
export function runCommand(
  channel: ProtocolChannel,
  commandName: string,
  args: Record<string, unknown>,
  io: { writer?: FileWriterTarget; reader?: FileReaderSource } = {},
): RunningCommand {
  const updates: Array<readonly [string, unknown]> = [];
  const out: Record<'stdout' | 'stderr' | 'header', string[]> = { stdout: [], stderr: [], header: [] };
  let rc: unknown;
  let complete!: (failure: string | null) => void;
  const completed = new Promise<string | null>((resolve) => {
    complete = resolve;
  });
  const sink: CommandSink = {
    update(batch) {
      for (const [key, value] of batch) {
        updates.push([key, value]);
        if (key === 'rc') rc = value;
        if ((key === 'stdout' || key === 'stderr' || key === 'header') && typeof value === 'string')
          out[key].push(value);
      }
    },
    complete: (failure) => complete(failure),
    ...(io.writer ? { writer: io.writer } : {}),
    ...(io.reader ? { reader: io.reader } : {}),
  };
  const request: MsgpackStartCommandRequest = { commandId: `test-${commandCounter++}`, commandName, args };
  const started = channel.startCommand(request, sink);
  const result = started.then(async () => {
    const failure = await completed;
    return {
      updates,
      failure,
      rc,
      stdout: out.stdout.join(''),
      stderr: out.stderr.join(''),
      header: out.header.join(''),
    };
  });
  // A refused start rejects `started`; `result` rejects too, but only matters to a caller that awaits it.
  result.catch(() => {});
  return { commandId: request.commandId, started, result };
}

/** The arguments Buildbot 3.7's RemoteShellCommand sends (captured), with overrides. */
export function shellArgs(
  command: string[] | string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    workdir: 'build',
    env: {},
    want_stdout: 1,
    want_stderr: 1,
    logfiles: {},
    timeout: 1200,
    maxTime: null,
    sigtermTime: null,
    usePTY: false,
    logEnviron: true,
    initial_stdin: null,
    interruptSignal: 'KILL',
    command,
    ...overrides,
  };
}
