// Test support (not exported): the private swarms of scripts/swarm-cluster.sh, a registry that
// serves the probe image to every node, and the images the tests run.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { importBusyboxImage, type LocalRegistry, startLocalRegistry } from '@latentci/docker/testing';
import { ensureProbeImage, PROBE_IMAGE } from '@latentci/test-kit';
import Docker from 'dockerode';

/** The two-node swarm's manager engine (fixed by scripts/swarm-cluster.sh). */
export const MANAGER_HOST = 'unix:///run/latentci-swarm/manager/docker.sock';
/** The single-node swarm's engine. */
export const SOLO_HOST = 'unix:///run/latentci-swarm/solo/docker.sock';
/** Where the nodes reach the host (the bridge of scripts/swarm-cluster.sh). */
export const SWARM_HOST_ADDRESS = '10.214.0.1';

const script = fileURLToPath(new URL('../../../scripts/swarm-cluster.sh', import.meta.url));
const environmentFile = '/run/latentci-swarm/cluster.env';

export interface SwarmCluster {
  /** The two-node swarm's manager (node label latentci.node=manager) and its socket. */
  readonly manager: Docker;
  readonly managerHost: string;
  /** The two-node swarm's worker node's own engine (not a manager: for checks only). */
  readonly worker: Docker;
  /** The single-node swarm. */
  readonly solo: Docker;
  readonly soloHost: string;
  /** Where every node reaches the host: the attach server and the registry listen here. */
  readonly hostAddress: string;
  readonly registry: LocalRegistry;
  /** The probe image, by registry tag (`<registry>/latentci-probe:<version>`). */
  readonly probeReference: string;
  /** A busybox image in the registry, for workers that run a `command`. */
  readonly busyboxReference: string;
  /** Releases this process's lease; the last one stops the swarms. */
  release(): Promise<void>;
}

async function run(...args: string[]): Promise<void> {
  try {
    await promisify(execFile)('bash', [script, ...args], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`scripts/swarm-cluster.sh ${args.join(' ')} failed:\n${stderr ?? String(error)}`, {
      cause: error,
    });
  }
}

/** Starts the swarms unless running (a lease per test process), and publishes the test images. */
export async function acquireSwarmCluster(): Promise<SwarmCluster> {
  await run('acquire', String(process.pid));
  try {
    const environment = Object.fromEntries(
      (await readFile(environmentFile, 'utf8'))
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const socket = (name: string) => {
      const value = environment[name];
      if (!value) throw new Error(`${environmentFile} has no ${name}`);
      return value;
    };
    const manager = new Docker({ socketPath: socket('LATENTCI_SWARM_MANAGER_SOCKET') });
    const hostAddress = socket('LATENTCI_SWARM_HOST_ADDRESS');
    // Images are made on the manager's own engine (never the shared one) and served to every node.
    await ensureProbeImage({ docker: manager });
    const busybox = await importBusyboxImage({ docker: manager });
    const registry = await startLocalRegistry({ docker: manager, listenHost: hostAddress });
    const [, probeTag = 'latest'] = PROBE_IMAGE.split(':');
    const probe = await registry.publish(PROBE_IMAGE, 'latentci-probe', probeTag);
    const busyboxPublished = await registry.publish(busybox, 'latentci-busybox', '1');
    return {
      manager,
      managerHost: `unix://${socket('LATENTCI_SWARM_MANAGER_SOCKET')}`,
      worker: new Docker({ socketPath: socket('LATENTCI_SWARM_WORKER_SOCKET') }),
      solo: new Docker({ socketPath: socket('LATENTCI_SWARM_SOLO_SOCKET') }),
      soloHost: `unix://${socket('LATENTCI_SWARM_SOLO_SOCKET')}`,
      hostAddress,
      registry,
      probeReference: probe.tagged,
      busyboxReference: busyboxPublished.tagged,
      async release() {
        await registry.close();
        await run('release', String(process.pid));
      },
    };
  } catch (error) {
    await run('release', String(process.pid)).catch(() => undefined);
    throw error;
  }
}

/** `docker node ls` of the two-node swarm, as text (for the test report). */
export async function nodeList(): Promise<string> {
  const { stdout } = await promisify(execFile)('docker', ['--host', MANAGER_HOST, 'node', 'ls']);
  return stdout;
}
