import { type InstanceHealth, isAbortError } from '@latentci/core';
import { decodeDockerLog, engineMessage, isNotFound } from '@latentci/provider-utils';
import type Dockerode from 'dockerode';

/** Number of log lines an unhealthy verdict reports (Buildbot's docker worker: `tail=100`). */
export const HEALTH_CHECK_LOG_LINES = 100;

/** Task states after which the task's container will never run the worker again. */
const ENDED = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);
/** What the scheduler writes in a pending task's error when no node can take it. */
const NO_NODE_FITS = /no suitable node|insufficient resources/i;

export interface TaskView {
  readonly ID?: string;
  readonly CreatedAt?: string;
  readonly NodeID?: string;
  readonly DesiredState?: string;
  readonly Status?: {
    readonly State?: string;
    readonly Err?: string;
    readonly Message?: string;
    readonly ContainerStatus?: { readonly ContainerID?: string; readonly ExitCode?: number };
  };
}

/** The service's tasks, newest first. */
export async function serviceTasks(docker: Dockerode, serviceId: string, signal: AbortSignal): Promise<TaskView[]> {
  const tasks = (await docker.listTasks({
    filters: { service: [serviceId] },
    abortSignal: signal,
  } as {})) as TaskView[];
  return [...tasks].sort((a, b) => (b.CreatedAt ?? '').localeCompare(a.CreatedAt ?? ''));
}

async function nodeDescription(docker: Dockerode, nodeId: string | undefined, signal: AbortSignal) {
  if (!nodeId) return { name: 'no node', availability: undefined };
  try {
    const node = (await docker.getNode(nodeId).inspect({ abortSignal: signal } as {})) as {
      Description?: { Hostname?: string };
      Spec?: { Availability?: string };
    };
    return { name: `node ${node.Description?.Hostname ?? nodeId}`, availability: node.Spec?.Availability };
  } catch (error) {
    if (isAbortError(error)) throw error;
    return { name: `node ${nodeId}`, availability: undefined };
  }
}

async function taskLogs(docker: Dockerode, taskId: string, signal: AbortSignal): Promise<string> {
  try {
    const task = docker.getTask(taskId) as unknown as { logs(options: object): Promise<unknown> };
    const output = await task.logs({
      stdout: true,
      stderr: true,
      follow: false,
      tail: HEALTH_CHECK_LOG_LINES,
      abortSignal: signal,
    });
    const text = decodeDockerLog(Buffer.isBuffer(output) ? output : Buffer.from(String(output)));
    return text === '' ? '' : `${text}\n`;
  } catch (error) {
    if (isAbortError(error)) throw error;
    return `(cannot read the logs: ${engineMessage(error)})\n`;
  }
}

/**
 * The health of a worker service, from its tasks: a task that failed, was rejected (no such image
 * on its node…), exited or was shut down (its node drained) is unhealthy, with the task's error and
 * its container's last log lines; so is a task pending because no node fits its placement.
 */
export async function checkServiceHealth(
  docker: Dockerode,
  service: { readonly id: string; readonly name: string },
  signal: AbortSignal,
): Promise<InstanceHealth> {
  try {
    await docker.getService(service.id).inspect({ abortSignal: signal } as {});
  } catch (error) {
    if (isNotFound(error)) {
      return { healthy: false, message: `service ${service.name} no longer exists: something removed it` };
    }
    throw error;
  }
  const [task] = await serviceTasks(docker, service.id, signal);
  // The orchestrator has not created the task yet.
  if (!task) return { healthy: true };
  const state = task.Status?.State ?? 'unknown';
  const error = task.Status?.Err;
  if (state === 'pending' && error && NO_NODE_FITS.test(error)) {
    return {
      healthy: false,
      message: `service ${service.name} cannot be placed: ${error}. No node fits its constraints and resources: check constraints, resources.reservations and the nodes' availability (docker node ls)`,
    };
  }
  const desired = task.DesiredState ?? 'running';
  if (!ENDED.has(state) && (desired === 'running' || desired === 'ready' || desired === 'accepted')) {
    return { healthy: true };
  }
  const node = await nodeDescription(docker, task.NodeID, signal);
  const exitCode = task.Status?.ContainerStatus?.ExitCode;
  let what: string;
  if (state === 'rejected' || state === 'failed') {
    what = `task ${state} on ${node.name}: ${error ?? task.Status?.Message ?? 'no reason given'}${exitCode === undefined ? '' : ` (exit code ${exitCode})`}`;
  } else if (state === 'complete') {
    what = `task exited with code ${exitCode ?? 0} on ${node.name} before the worker stayed connected`;
  } else {
    const drained = node.availability === 'drain' ? ` (${node.name} is drained)` : '';
    what = `task on ${node.name} was shut down (state ${state}, desired ${desired})${drained}`;
  }
  const logs = task.Status?.ContainerStatus?.ContainerID && task.ID ? await taskLogs(docker, task.ID, signal) : '';
  return {
    healthy: false,
    message: `service ${service.name}: ${what}${logs ? `; logs: \n${logs}` : ''}`,
  };
}
