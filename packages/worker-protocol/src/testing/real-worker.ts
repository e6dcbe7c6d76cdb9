import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RealWorkerOptions {
  /** Master host and port the worker connects to. */
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly password: string;
  /** `pb` (default) or `msgpack` (`msgpack_experimental_v7`). */
  readonly protocol?: 'pb' | 'msgpack';
  /** Seconds between the worker's keepalives (`--keepalive`; default 600, 0 disables). */
  readonly keepalive?: number;
  /** `--allow-shutdown`: the worker asks the master to shut it down on SIGHUP (`signal`) or a stamp file. */
  readonly allowShutdown?: 'signal' | 'file';
  /** `--maxretries`. */
  readonly maxRetries?: number;
  /** Extra environment of the worker process (it otherwise gets only PATH, HOME and LANG). */
  readonly env?: Readonly<Record<string, string>>;
  /** Files under `<basedir>/info/` (`admin`, `host`). */
  readonly info?: Readonly<Record<string, string>>;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A real `buildbot-worker` process (Debian's 3.7) in its own temporary base directory. */
export interface RealWorker {
  readonly basedir: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Resolves when the process exited. */
  readonly exited: Promise<ExitStatus>;
  /** The worker's `twistd.log` so far. */
  log(): Promise<string>;
  /** Waits until `twistd.log` contains `text` (polls; rejects after `timeoutMs`). */
  waitForLog(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Stops the process by PID (TERM, then KILL) and removes the base directory. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

// Workers still running, with their base directories: a process that exits without stopping them
// (a test runner tearing a worker thread down, an uncaught error) still kills them and removes
// their folders, so nothing is left in the temp folder.
const live = new Set<ChildProcess>();
const basedirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {}
    }
    for (const basedir of basedirs) {
      try {
        rmSync(basedir, { recursive: true, force: true });
      } catch {}
    }
  });
}

async function removeBasedir(basedir: string): Promise<void> {
  await rm(basedir, { recursive: true, force: true });
  basedirs.delete(basedir);
}

/** Creates the worker with `buildbot-worker create-worker` and starts it with `twistd3 --nodaemon`. */
export async function startRealWorker(options: RealWorkerOptions): Promise<RealWorker> {
  installExitHook();
  const basedir = await mkdtemp(join(tmpdir(), 'latentci-bbw-'));
  basedirs.add(basedir);
  const environment = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: basedir,
    LANG: 'C.UTF-8',
    ...options.env,
  };
  try {
    const args = [
      'create-worker',
      '-r',
      '-q',
      `--protocol=${options.protocol === 'msgpack' ? 'msgpack_experimental_v7' : 'pb'}`,
      `--keepalive=${options.keepalive ?? 600}`,
      ...(options.allowShutdown ? [`--allow-shutdown=${options.allowShutdown}`] : []),
      ...(options.maxRetries !== undefined ? [`--maxretries=${options.maxRetries}`] : []),
      '--force',
      basedir,
      `${options.host}:${options.port}`,
      options.name,
      options.password,
    ];
    await run('buildbot-worker', args, { env: environment, cwd: basedir });
    for (const [file, content] of Object.entries(options.info ?? {})) {
      await import('node:fs/promises').then((fs) => fs.writeFile(join(basedir, 'info', file), content));
    }
  } catch (error) {
    await removeBasedir(basedir);
    throw error;
  }
  const child = spawn('twistd3', ['--nodaemon', '--no_save', '--pidfile=', '-y', 'buildbot.tac'], {
    cwd: basedir,
    env: environment,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
  });
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', () => {
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  if (child.pid === undefined) {
    await removeBasedir(basedir);
    throw new Error(`twistd3 did not start: ${stderr}`);
  }
  const pid = child.pid;
  const log = async () => readFile(join(basedir, 'twistd.log'), 'utf8').catch(() => '');
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {}
        const killer = setTimeout(() => {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {}
        }, 5000);
        await exited;
        clearTimeout(killer);
      }
      await removeBasedir(basedir);
    })();
    return stopped;
  };
  return {
    basedir,
    pid,
    process: child,
    exited,
    log,
    async waitForLog(text, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const content = await log();
        if (typeof text === 'string' ? content.includes(text) : text.test(content)) return;
        if (Date.now() > deadline) {
          throw new Error(`worker log did not show ${String(text)} within ${timeoutMs} ms:\n${content.slice(-4000)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
