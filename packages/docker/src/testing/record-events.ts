import type { InstanceEventSink, InstanceProgress } from '@latentci/core';

/** An event sink that keeps everything it receives. */
export interface RecordedEvents extends InstanceEventSink {
  readonly logs: { line: string; stream: 'stdout' | 'stderr' | undefined }[];
  readonly progress: ((progress: InstanceProgress) => void) & { readonly updates: InstanceProgress[] };
  /** Resolves when a log line matching `pattern` arrived (also one already received). */
  waitForLog(pattern: RegExp, options?: { timeoutMs?: number }): Promise<string>;
}

/** Creates an {@link InstanceEventSink} that records log lines and progress updates, for assertions. */
export function recordEvents(): RecordedEvents {
  const logs: { line: string; stream: 'stdout' | 'stderr' | undefined }[] = [];
  const updates: InstanceProgress[] = [];
  const waiters = new Set<() => void>();
  const progress = Object.assign((update: InstanceProgress) => void updates.push(update), { updates });
  return {
    logs,
    progress,
    log(line, stream) {
      logs.push({ line, stream });
      for (const waiter of [...waiters]) waiter();
    },
    waitForLog(pattern, options = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = logs.find((entry) => pattern.test(entry.line));
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found.line);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no log line matched ${pattern} within ${options.timeoutMs ?? 30_000} ms`));
        }, options.timeoutMs ?? 30_000);
        if (!check()) waiters.add(check);
      });
    },
  };
}
