import { Readable } from 'node:stream';
import type { PodRuntime } from './runtime.js';

/**
 * Runs nothing: every Pod's container is running as soon as it is launched and stays so until the
 * Pod is deleted; its log is one line. For scale tests (thousands of Pods) and API-only tests.
 */
export function createVirtualRuntime(): PodRuntime {
  let next = 0;
  const running = new Map<string, string>();
  return {
    async launch(launch) {
      next += 1;
      running.set(launch.uid, `${launch.namespace}/${launch.podName}`);
      return { podIP: `10.${(next >> 16) & 255}.${(next >> 8) & 255}.${next & 255}` };
    },
    async logs(uid) {
      const pod = running.get(uid);
      return pod === undefined ? undefined : Readable.from([`virtual container of pod ${pod} started\n`]);
    },
    async kill(uid) {
      running.delete(uid);
    },
    async close() {
      running.clear();
    },
  };
}
