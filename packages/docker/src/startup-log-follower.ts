import type { InstanceEventSink } from '@latentci/core';
import { followDockerLogStream, type LogFollow } from '@latentci/provider-utils';
import type Dockerode from 'dockerode';
import { engineFlavour } from './engine-flavour.js';

/**
 * Streams a container's stdout/stderr, from its first line, to `events.log` line by line, in the
 * background: the start does not wait for it (unlike Buildbot's `followStartupLogs`, which keeps
 * `start_instance` busy, issue #6405). It ends when the container's output ends or `stop` is called.
 */
export async function followContainerOutput(
  docker: Dockerode,
  containerId: string,
  events: InstanceEventSink,
  redact: (text: string) => string,
  signal: AbortSignal,
): Promise<LogFollow> {
  const controller = new AbortController();
  const abort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  const container = docker.getContainer(containerId);
  // Docker: attach with the logs so far, as Buildbot does (works with every log driver). Podman
  // 4.3's attach loses or reorders the replayed part and can keep an exited container looking
  // alive while attached; its log endpoint streams the same output reliably.
  const options = { stdout: true, stderr: true, abortSignal: controller.signal };
  const stream = ((await engineFlavour(docker, controller.signal)) === 'podman'
    ? await container.logs({ ...options, follow: true } as Dockerode.ContainerLogsOptions & { follow: true })
    : await container.attach({ ...options, stream: true, logs: true })) as unknown as NodeJS.ReadableStream & {
    destroy?: (error?: Error) => void;
  };
  // Decoded here, not by dockerode's demuxStream: a TTY container's stream has no frames, and a
  // character cut between two chunks must reach the log whole.
  const follow = followDockerLogStream(
    stream,
    (line, name) => events.log(redact(line), name),
    () => controller.abort(),
  );
  void follow.done.then(() => signal.removeEventListener('abort', abort));
  return follow;
}
