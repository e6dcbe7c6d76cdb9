import type { InstanceEventSink } from '@latentci/core';
import type Dockerode from 'dockerode';
import { engineFlavour } from './engine-flavour.js';
import { LineSplitter } from './multiplexed-output.js';
import { OutputDemultiplexer } from './output-demultiplexer.js';

/** A running follow of a container's output; `stop` ends it and resolves when it has ended. */
export interface LogFollow {
  stop(): Promise<void>;
  /** Resolves when the output ended (the container stopped) or the follow was stopped. */
  readonly done: Promise<void>;
}

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
  // Our own demultiplexer, not dockerode's demuxStream: that one gives up on framing for good at
  // the first unframed byte (a TTY container's output, or a replay that is not framed).
  const splitters = {
    stdout: new LineSplitter((line) => events.log(redact(line), 'stdout')),
    stderr: new LineSplitter((line) => events.log(redact(line), 'stderr')),
  };
  const demultiplexer = new OutputDemultiplexer((name, text) => splitters[name].push(text));
  stream.on('data', (chunk: Buffer | string) =>
    demultiplexer.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)),
  );
  const done = new Promise<void>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      demultiplexer.end();
      splitters.stdout.flush();
      splitters.stderr.flush();
      signal.removeEventListener('abort', abort);
      resolve();
    };
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
  });
  return {
    done,
    async stop() {
      controller.abort();
      stream.destroy?.();
      await done;
    },
  };
}
