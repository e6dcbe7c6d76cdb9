import { Writable } from 'node:stream';
import type { Log } from '@kubernetes/client-node';
import type { InstanceEventSink, Redactor } from '@latentci/core';

/**
 * Follows the worker container's log (`GET …/pods/{name}/log?follow=true`) and reports each line
 * through `events.log`, redacted. Returns the function that closes it (called at stop).
 */
export async function followStartupLogs(
  log: Log,
  target: { namespace: string; pod: string; container: string },
  events: InstanceEventSink,
  redactor: Redactor,
): Promise<() => void> {
  let pending = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) events.log(redactor.redact(line.replace(/\r$/, '')), 'stdout');
      callback();
    },
    final(callback) {
      if (pending) events.log(redactor.redact(pending), 'stdout');
      pending = '';
      callback();
    },
  });
  sink.on('error', () => undefined);
  // The client pipes the response into the sink and leaves the response's errors unhandled (an
  // abort at stop, a server closing): they end the follow, nothing more.
  sink.on('pipe', (source) => source.on('error', () => sink.end()));
  const controller = await log.log(target.namespace, target.pod, target.container, sink, { follow: true });
  return () => {
    controller.abort();
    sink.destroy();
  };
}
