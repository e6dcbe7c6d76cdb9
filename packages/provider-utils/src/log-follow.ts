import { isAbortError } from '@latentci/core';
import { DockerLogDecoder, type OutputStream } from './docker-log-decoder.js';

/** A running follow of an instance's output; `stop` ends it and resolves when it has ended. */
export interface LogFollow {
  stop(): Promise<void>;
  /** Resolves when the output ended (the instance stopped) or the follow was stopped. */
  readonly done: Promise<void>;
}

/** The part of a Node readable stream (dockerode's log and attach answers) a follow needs. */
export interface FollowedStream {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'end' | 'close' | 'error', listener: () => void): unknown;
  destroy?(error?: Error): unknown;
}

/**
 * Decodes an open Docker/Swarm log or attach stream (frames or TTY, UTF-8 safe) into lines, in the
 * background, until the stream ends or `stop` is called (`stop` also calls `abort`, which should
 * cancel the request: Swarm keeps a service's log stream open after the service is removed).
 */
export function followDockerLogStream(
  stream: FollowedStream,
  emit: (line: string, stream: OutputStream) => void,
  abort: () => void,
): LogFollow {
  const decoder = new DockerLogDecoder(emit);
  stream.on('data', (chunk: Buffer) => decoder.push(chunk));
  const done = new Promise<void>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      decoder.end();
      resolve();
    };
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
  });
  return {
    done,
    async stop() {
      abort();
      stream.destroy?.();
      await done;
    },
  };
}

/**
 * Starts a follow in the background: the caller does not wait for the stream to open. `stop`
 * also ends a follow whose request has not been answered yet; `onFailure` hears why a follow could
 * not start (an abort by `stop` is not reported).
 */
export function followInBackground(
  open: (signal: AbortSignal) => Promise<LogFollow>,
  onFailure: (error: unknown) => void,
): LogFollow {
  const controller = new AbortController();
  const pending = open(controller.signal);
  pending.catch((error: unknown) => {
    if (!controller.signal.aborted && !isAbortError(error)) onFailure(error);
  });
  return {
    done: pending.then(
      (started) => started.done,
      () => undefined,
    ),
    async stop() {
      controller.abort();
      await pending.then((started) => started.stop()).catch(() => undefined);
    },
  };
}
