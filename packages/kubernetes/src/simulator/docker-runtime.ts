import { PassThrough, type Readable } from 'node:stream';
import {
  decodeDockerLog,
  engineStatusCode,
  removeContainerForcibly,
  removeLabelledContainers,
} from '@latentci/provider-utils';
import Docker from 'dockerode';
import { type ContainerExit, type ContainerLaunch, ImagePullError, type PodRuntime } from './runtime.js';

/** Label put on every container the simulator starts; its value is the simulator's id. */
export const SIMULATOR_CONTAINER_LABEL = 'io.latentci.kubernetes-simulator';
/** Label holding the uid of the Pod a container runs. */
export const POD_UID_CONTAINER_LABEL = 'io.latentci.kubernetes-simulator.pod-uid';

export interface DockerRuntimeOptions {
  /** The engine: a dockerode instance or its options. Default: `/var/run/docker.sock`. */
  readonly docker?: Docker | Docker.DockerOptions;
  /** Identifies this simulator's containers (label value and name part). */
  readonly simulatorId: string;
}

/**
 * Runs each Pod's first container as a real container on a Docker engine, as a kubelet would with
 * the Docker runtime: the image (never pulled: a missing image is `ErrImagePull`), the resolved
 * environment, `command` as the entrypoint and `args` as the command, bridge networking. The
 * container is kept after it exits (its logs stay readable) until the Pod is deleted.
 */
export function createDockerRuntime(options: DockerRuntimeOptions): PodRuntime {
  const docker =
    options.docker instanceof Docker
      ? options.docker
      : new Docker(options.docker ?? { socketPath: '/var/run/docker.sock' });
  const containers = new Map<string, Docker.Container>();
  const killed = new Set<string>();
  let closed = false;

  return {
    async launch(launch: ContainerLaunch, onExit: (exit: ContainerExit) => void) {
      try {
        await docker.getImage(launch.image).inspect();
      } catch (error) {
        if (engineStatusCode(error) === 404) {
          throw new ImagePullError(
            `failed to pull and unpack image "${launch.image}": ${launch.image}: not found (the simulator never pulls; the image must be on the Docker engine)`,
          );
        }
        throw error;
      }
      if (closed || killed.has(launch.uid)) throw new Error('pod deleted while its container was starting');
      const container = await docker.createContainer({
        name: `k8s-sim-${options.simulatorId}-${launch.namespace}-${launch.podName}`.slice(0, 200),
        Image: launch.image,
        Env: Object.entries(launch.environment).map(([key, value]) => `${key}=${value}`),
        Labels: {
          ...launch.labels,
          [SIMULATOR_CONTAINER_LABEL]: options.simulatorId,
          [POD_UID_CONTAINER_LABEL]: launch.uid,
        },
        ...(launch.command ? { Entrypoint: [...launch.command] } : {}),
        ...(launch.args ? { Cmd: [...launch.args] } : {}),
        HostConfig: { NetworkMode: 'bridge' },
      });
      containers.set(launch.uid, container);
      if (closed || killed.has(launch.uid)) {
        containers.delete(launch.uid);
        await container.remove({ force: true }).catch(() => undefined);
        throw new Error('pod deleted while its container was starting');
      }
      await container.start();
      container.wait().then(
        (result: { StatusCode?: number }) => {
          if (!killed.has(launch.uid)) onExit({ exitCode: result.StatusCode ?? 255, finishedAt: new Date() });
        },
        () => {
          if (!killed.has(launch.uid)) onExit({ exitCode: 255, finishedAt: new Date() });
        },
      );
      const details = await container.inspect().catch(() => undefined);
      return { podIP: Object.values(details?.NetworkSettings?.Networks ?? {})[0]?.IPAddress || '172.17.0.2' };
    },

    async logs(uid, { follow, tailLines }) {
      const container = containers.get(uid);
      if (!container) return undefined;
      const output = new PassThrough();
      const common = { stdout: true, stderr: true, ...(tailLines === undefined ? {} : { tail: tailLines }) } as const;
      if (follow) {
        const stream = (await container.logs({ ...common, follow: true })) as unknown as Readable;
        docker.modem.demuxStream(stream, output, output);
        stream.on('end', () => output.end());
        stream.on('error', (error) => output.destroy(error));
        output.on('close', () => stream.destroy());
      } else {
        const raw = (await container.logs({ ...common, follow: false })) as unknown as Buffer;
        const text = decodeDockerLog(raw);
        output.end(text === '' ? '' : `${text}\n`);
      }
      return output;
    },

    async kill(uid, graceSeconds) {
      killed.add(uid);
      const container = containers.get(uid);
      containers.delete(uid);
      if (!container) return;
      if (graceSeconds > 0) await container.stop({ t: graceSeconds }).catch(() => undefined);
      await removeContainerForcibly(container);
    },

    async close() {
      closed = true;
      for (const uid of containers.keys()) killed.add(uid);
      containers.clear();
      await removeLabelledContainers(docker, `${SIMULATOR_CONTAINER_LABEL}=${options.simulatorId}`);
    },
  };
}
