import type { InstanceEventSink } from '@latentci/core';
import { followDockerLogStream, type LogFollow } from '@latentci/provider-utils';
import type Dockerode from 'dockerode';

/** Streams a service's stdout/stderr to `events.log` line by line, in the background, until `stop`. */
export async function followServiceLogs(
  docker: Dockerode,
  serviceId: string,
  events: InstanceEventSink,
  redact: (text: string) => string,
  signal: AbortSignal,
): Promise<LogFollow> {
  // Swarm keeps a service's log stream open after the service is removed: `stop` aborts it.
  const controller = new AbortController();
  signal.addEventListener('abort', () => controller.abort(), { once: true });
  const stream = (await docker.getService(serviceId).logs({
    follow: true,
    stdout: true,
    stderr: true,
    abortSignal: controller.signal,
  } as never)) as unknown as NodeJS.ReadableStream & { destroy?: (error?: Error) => void };
  return followDockerLogStream(
    stream,
    (line, name) => events.log(redact(line), name),
    () => controller.abort(),
  );
}
