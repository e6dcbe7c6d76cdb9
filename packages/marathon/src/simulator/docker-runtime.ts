import {
  decodeDockerLog,
  engineMessage,
  engineStatusCode,
  removeContainerForcibly,
  removeLabelledContainers,
} from '@latentci/provider-utils';
import Docker from 'dockerode';
import type { MarathonApp } from './marathon-types.js';
import {
  type SimulatorRuntime,
  type TaskExit,
  type TaskLaunch,
  TaskLaunchError,
  type TaskPlacement,
} from './runtime.js';

/** Label put on every container the simulator starts; its value is the simulator's id. */
export const SIMULATOR_CONTAINER_LABEL = 'io.latentci.marathon-simulator';
/** Label holding the Marathon task id of a container. */
export const TASK_ID_CONTAINER_LABEL = 'io.latentci.marathon-simulator.task';

export interface DockerRuntimeOptions {
  /** The engine: a dockerode instance or its options. Default: `/var/run/docker.sock`. */
  readonly docker?: Docker | Docker.DockerOptions;
  /** Identifies this simulator's containers (label value and name part). */
  readonly simulatorId: string;
  /** Pull images that are not on the engine (Mesos does). Default false: such tasks fail at once. */
  readonly pullImages?: boolean;
}

/**
 * Runs each task as a real container on a Docker engine, as Mesos' Docker containerizer does:
 * the app's image, `env`, `labels`, `cmd` (through `/bin/sh -c`) or `args`, bridge or host
 * networking from `networks`. Containers are named `marathon-sim-<simulator>-<task>` and labelled
 * {@link SIMULATOR_CONTAINER_LABEL} so `close()` (or a crashed run's cleanup) can find them.
 */
export function createDockerRuntime(options: DockerRuntimeOptions): SimulatorRuntime {
  const docker =
    options.docker instanceof Docker
      ? options.docker
      : new Docker(options.docker ?? { socketPath: '/var/run/docker.sock' });
  const containers = new Map<string, Docker.Container>();
  const killed = new Set<string>();
  let closed = false;

  async function ensureImage(image: string): Promise<void> {
    try {
      await docker.getImage(image).inspect();
      return;
    } catch (error) {
      if (engineStatusCode(error) !== 404)
        throw new TaskLaunchError(`Failed to launch container: ${engineMessage(error)}`);
    }
    if (!options.pullImages) {
      throw new TaskLaunchError(
        `Failed to launch container: Failed to run 'docker pull ${image}': image ${image} is not present on the Docker engine and the simulator does not pull images`,
      );
    }
    try {
      const stream = await docker.pull(image);
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve())),
      );
    } catch (error) {
      throw new TaskLaunchError(
        `Failed to launch container: Failed to run 'docker pull ${image}': ${engineMessage(error)}`,
      );
    }
  }

  return {
    async launch(task: TaskLaunch, onExit: (exit: TaskExit) => void): Promise<TaskPlacement> {
      const image = task.app.container?.docker?.image;
      if (image === undefined)
        throw new TaskLaunchError(
          'Failed to launch container: the simulator runs Docker containers only (container.docker.image is missing)',
        );
      if (closed) throw new TaskLaunchError('Failed to launch container: the simulator is closing');
      await ensureImage(image);
      const hostNetworking = task.app.networks.some((network) => network.mode === 'host');
      let container: Docker.Container;
      try {
        container = await docker.createContainer({
          name: containerName(options.simulatorId, task.taskId),
          Image: image,
          Env: Object.entries({
            ...task.app.env,
            MARATHON_APP_ID: task.app.id,
            MARATHON_APP_VERSION: task.app.version,
            MESOS_TASK_ID: task.taskId,
          }).map(([key, value]) => `${key}=${value}`),
          Labels: {
            ...task.app.labels,
            [SIMULATOR_CONTAINER_LABEL]: options.simulatorId,
            [TASK_ID_CONTAINER_LABEL]: task.taskId,
          },
          ...commandOf(task.app),
          HostConfig: { NetworkMode: hostNetworking ? 'host' : 'bridge' },
        });
      } catch (error) {
        throw new TaskLaunchError(`Failed to launch container: ${engineMessage(error)}`);
      }
      if (closed || killed.has(task.taskId)) {
        // Killed (app deleted, simulator closed) while the container was being created.
        await container.remove({ force: true }).catch(() => undefined);
        throw new TaskLaunchError('Task killed while launching');
      }
      containers.set(task.taskId, container);
      try {
        await container.start();
      } catch (error) {
        containers.delete(task.taskId);
        await container.remove({ force: true }).catch(() => undefined);
        throw new TaskLaunchError(`Failed to launch container: ${engineMessage(error)}`);
      }
      container.wait().then(
        async (result: { StatusCode?: number }) => {
          if (killed.has(task.taskId)) return;
          const status = result.StatusCode ?? -1;
          const output = await outputTail(container);
          if (killed.has(task.taskId)) return;
          onExit({
            state: status === 0 ? 'TASK_FINISHED' : 'TASK_FAILED',
            message: `Container exited with status ${status}${output ? `; last output:\n${output}` : ''}`,
          });
        },
        (error: unknown) => {
          if (!killed.has(task.taskId))
            onExit({ state: 'TASK_FAILED', message: `Container lost: ${engineMessage(error)}` });
        },
      );
      const details = await container.inspect().catch(() => undefined);
      const ipAddress = Object.values(details?.NetworkSettings?.Networks ?? {})[0]?.IPAddress || '127.0.0.1';
      return { host: 'localhost', ipAddress };
    },

    async kill(taskId: string): Promise<void> {
      killed.add(taskId);
      const container = containers.get(taskId);
      containers.delete(taskId);
      if (!container) return;
      await removeContainerForcibly(container);
    },

    async close(): Promise<void> {
      closed = true;
      for (const taskId of containers.keys()) killed.add(taskId);
      containers.clear();
      await removeLabelledContainers(docker, `${SIMULATOR_CONTAINER_LABEL}=${options.simulatorId}`);
    },
  };
}

/**
 * The container's last 20 output lines. A simulator extension: Mesos reports only the exit status;
 * on a real cluster the output is in the task sandbox (stdout/stderr files), which Marathon's API
 * does not serve.
 */
async function outputTail(container: Docker.Container): Promise<string> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, follow: false, tail: 20 })) as unknown as Buffer;
    return decodeDockerLog(raw).trimEnd();
  } catch {
    return '';
  }
}

function containerName(simulatorId: string, taskId: string): string {
  return `marathon-sim-${simulatorId}-${taskId}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

/** Mesos' Docker executor runs `cmd` with a shell; `args` are appended to the image's entrypoint. */
function commandOf(app: MarathonApp): { Cmd?: string[] } {
  if (app.cmd !== undefined) return { Cmd: ['/bin/sh', '-c', app.cmd] };
  if (app.args !== undefined) return { Cmd: app.args };
  return {};
}
