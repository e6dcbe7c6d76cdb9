import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';

/**
 * A second, private Docker engine for fault tests that kill the engine: its own socket, data root,
 * exec root and bridge, so killing it cannot disturb the shared engine other test files use. Needs
 * root, `dockerd` and `ip` (the CI machine has them).
 *
 * Not `--bridge=none`: with it dockerd deletes the host's `docker0`, breaking the shared engine.
 */
const PRIVATE_BRIDGE = 'latentci-fault0';
const PRIVATE_BRIDGE_ADDRESS = '10.213.0.1/24';

function ensurePrivateBridge(bridge: string, address: string): void {
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  if (links.includes(`: ${bridge}:`)) return;
  execFileSync('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', address, 'dev', bridge]);
  execFileSync('ip', ['link', 'set', bridge, 'up']);
}

/** Another bridge lets two test files run a private engine each at the same time. */
export interface PrivateEngineOptions {
  /** Default `latentci-fault0`. */
  readonly bridge?: string;
  /** The bridge's address and prefix. Default `10.213.0.1/24`. */
  readonly address?: string;
}
export interface PrivateEngine {
  readonly socketPath: string;
  readonly docker: Docker;
  /** SIGKILLs dockerd (containers it started are left to be found after a restart). */
  kill(): Promise<void>;
  /** Starts dockerd again on the same state and waits until it answers. */
  restart(): Promise<void>;
  /** Removes every container, stops dockerd and deletes its state. */
  destroy(): Promise<void>;
}

export async function startPrivateEngine(options: PrivateEngineOptions = {}): Promise<PrivateEngine> {
  const bridge = options.bridge ?? PRIVATE_BRIDGE;
  const bridgeAddress = options.address ?? PRIVATE_BRIDGE_ADDRESS;
  const root = mkdtempSync(join(tmpdir(), 'latentci-private-engine-'));
  const socketPath = join(root, 'docker.sock');
  const pidFile = join(root, 'dockerd.pid');
  const logFile = join(root, 'dockerd.log');
  const docker = new Docker({ socketPath });
  let process: ChildProcess | undefined;

  async function start(): Promise<void> {
    rmSync(pidFile, { force: true });
    const log = openSync(logFile, 'a');
    process = spawn(
      'dockerd',
      [
        '--host',
        `unix://${socketPath}`,
        '--data-root',
        join(root, 'data'),
        '--exec-root',
        join(root, 'exec'),
        '--pidfile',
        pidFile,
        `--bridge=${bridge}`,
        '--iptables=false',
        '--ip-masq=false',
      ],
      { stdio: ['ignore', log, log], detached: true },
    );
    process.unref();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        await docker.ping();
        closeSync(log);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    closeSync(log);
    const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
    throw new Error(`the private dockerd on ${socketPath} did not answer within 60 s; the end of its log:\n${tail}`);
  }

  /** Processes whose command line mentions this engine's state, e.g. its containerd and shims. */
  function processesOfThisEngine(marker: string): number[] {
    const found: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) found.push(Number(entry));
      } catch {
        // The process ended while we looked.
      }
    }
    return found;
  }

  function pid(): number | undefined {
    return existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : process?.pid;
  }

  async function waitForExit(target: number): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && existsSync(`/proc/${target}`)) {
      const status = readFileSync(`/proc/${target}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  ensurePrivateBridge(bridge, bridgeAddress);
  await start();
  return {
    socketPath,
    docker,
    async kill() {
      const target = pid();
      if (target === undefined) return;
      // The daemon and its containerd die together, as in a crash; the shims keep the containers
      // running, as they do when a real engine dies.
      const containerd = processesOfThisEngine(`${root}/exec/containerd/containerd.toml`);
      globalThis.process.kill(target, 'SIGKILL');
      for (const each of containerd) globalThis.process.kill(each, 'SIGKILL');
      await waitForExit(target);
      for (const each of containerd) await waitForExit(each);
      // A killed containerd can linger as a zombie nobody reaps; dockerd would take its pid file
      // for a live containerd and wait for it forever.
      rmSync(join(root, 'exec/containerd/containerd.pid'), { force: true });
    },
    restart: start,
    async destroy() {
      try {
        const containers = await docker.listContainers({ all: true });
        await Promise.all(
          containers.map((container) => docker.getContainer(container.Id).remove({ force: true, v: true })),
        );
      } catch {
        // The engine may be down (a test killed it): state is deleted below anyway.
      }
      const target = pid();
      if (target !== undefined && existsSync(`/proc/${target}`)) {
        globalThis.process.kill(target, 'SIGTERM');
        await waitForExit(target);
      }
      for (const leftover of processesOfThisEngine(root)) globalThis.process.kill(leftover, 'SIGKILL');
      // A killed engine leaves its overlay mounts behind; unmount them before deleting its state.
      const mounts = readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[1] ?? '')
        .filter((path) => path.startsWith(`${root}/`))
        .sort()
        .reverse();
      for (const mount of mounts) execFileSync('umount', ['-l', mount]);
      rmSync(root, { recursive: true, force: true });
      execFileSync('ip', ['link', 'del', bridge]);
    },
  };
}
