import { Writable } from 'node:stream';
import type { InstanceEventSink } from '@latentci/core';
import type Dockerode from 'dockerode';
import { LineSplitter } from './line-splitter.js';

/** A running follow of a service's logs; `stop` ends it (Swarm keeps the stream open after removal). */
export interface LogFollow {
  stop(): Promise<void>;
  readonly done: Promise<void>;
}

/** Streams a service's stdout/stderr to `events.log` line by line, in the background. */
export async function followServiceLogs(
  docker: Dockerode,
  serviceId: string,
  events: InstanceEventSink,
  redact: (text: string) => string,
  signal: AbortSignal,
): Promise<LogFollow> {
  const controller = new AbortController();
  signal.addEventListener('abort', () => controller.abort(), { once: true });
  const stream = (await docker.getService(serviceId).logs({
    follow: true,
    stdout: true,
    stderr: true,
    abortSignal: controller.signal,
  } as never)) as unknown as NodeJS.ReadableStream & { destroy?: (error?: Error) => void };
  const sink = (name: 'stdout' | 'stderr') => {
    const splitter = new LineSplitter((line) => events.log(redact(line), name));
    return {
      splitter,
      writable: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          splitter.push(chunk.toString('utf8'));
          callback();
        },
      }),
    };
  };
  const stdout = sink('stdout');
  const stderr = sink('stderr');
  docker.modem.demuxStream(stream, stdout.writable, stderr.writable);
  const done = new Promise<void>((resolve) => {
    const finish = () => {
      stdout.splitter.flush();
      stderr.splitter.flush();
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
