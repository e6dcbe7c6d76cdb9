import { Writable } from 'node:stream';
import type { InstanceEventSink } from '@latentci/core';
import type Dockerode from 'dockerode';
import { LineSplitter } from './multiplexed-output.js';

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
  const stream = (await container.attach({
    stream: true,
    stdout: true,
    stderr: true,
    logs: true,
    abortSignal: controller.signal,
  })) as NodeJS.ReadableStream & { destroy?: (error?: Error) => void };
  const sink = (name: 'stdout' | 'stderr') => {
    const splitter = new LineSplitter((line) => events.log(redact(line), name));
    const writable = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        splitter.push(chunk.toString('utf8'));
        callback();
      },
      final(callback) {
        splitter.flush();
        callback();
      },
    });
    return { splitter, writable };
  };
  const stdout = sink('stdout');
  const stderr = sink('stderr');
  docker.modem.demuxStream(stream, stdout.writable, stderr.writable);
  const done = new Promise<void>((resolve) => {
    const finish = () => {
      stdout.splitter.flush();
      stderr.splitter.flush();
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
