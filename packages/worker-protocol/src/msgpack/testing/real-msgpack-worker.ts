import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RealMsgpackWorkerOptions {
  readonly masterHost: string;
  readonly masterPort: number;
  readonly name: string;
  readonly password: string;
}

export interface RealMsgpackWorker {
  /** The worker's base directory (a fresh temporary directory, removed by `stop`). */
  readonly basedir: string;
  readonly pid: number;
  /** Resolves with the exit code (`null` when killed by a signal) once the process ended. */
  readonly exited: Promise<number | null>;
  /** Everything in twistd.log (and rotated logs) so far. */
  log(): string;
  /** Sends a signal to the worker process by its PID. */
  signal(name: NodeJS.Signals): void;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and removes the base directory. */
  stop(): Promise<void>;
}

/**
 * Starts a real buildbot-worker (the Debian 3.7 package) speaking msgpack_experimental_v7: the
 * base directory is made by `buildbot-worker create-worker`, the process is `twistd3 --nodaemon`
 * under a minimal environment. Cleans up after itself if it cannot start.
 */
export async function startRealMsgpackWorker(options: RealMsgpackWorkerOptions): Promise<RealMsgpackWorker> {
  const root = mkdtempSync(join(tmpdir(), 'latentci-msgpack-worker-'));
  const basedir = join(root, 'worker');
  const home = join(root, 'home');
  let child: ChildProcess | undefined;
  try {
    await run('buildbot-worker', [
      'create-worker',
      '--quiet',
      '--protocol=msgpack_experimental_v7',
      '--maxdelay=2',
      basedir,
      `${options.masterHost}:${options.masterPort}`,
      options.name,
      options.password,
    ]);
    child = spawn('twistd3', ['--nodaemon', '--no_save', '--pidfile=', '-y', 'buildbot.tac'], {
      cwd: basedir,
      env: { PATH: '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' },
      stdio: 'ignore',
    });
    const spawned = child;
    await new Promise<void>((resolve, reject) => {
      spawned.once('spawn', resolve);
      spawned.once('error', reject);
    });
  } catch (error) {
    child?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const process_ = child;
  const pid = process_.pid as number;
  const exited = new Promise<number | null>((resolve) => {
    if (process_.exitCode !== null || process_.signalCode !== null) resolve(process_.exitCode);
    else process_.once('exit', (code) => resolve(code));
  });

  return {
    basedir,
    pid,
    exited,
    log() {
      if (!existsSync(basedir)) return '';
      const logs = readdirSync(basedir)
        .filter((name) => /^twistd\.log(\.\d+)?$/.test(name))
        .sort((a, b) => rotation(b) - rotation(a));
      return logs.map((name) => readFileSync(join(basedir, name), 'utf8')).join('');
    },
    signal(name) {
      if (process_.exitCode === null && process_.signalCode === null) process.kill(pid, name);
    },
    async stop() {
      if (process_.exitCode === null && process_.signalCode === null) {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => {
          if (process_.exitCode === null && process_.signalCode === null) process.kill(pid, 'SIGKILL');
        }, 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function rotation(name: string): number {
  const match = /\.(\d+)$/.exec(name);
  return match ? Number(match[1]) : 0;
}
