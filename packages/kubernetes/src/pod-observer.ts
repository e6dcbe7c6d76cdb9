import type { CoreV1Api, V1Pod, Watch } from '@kubernetes/client-node';

const RELIST_DELAY = 200;

/** What observing a Pod needs: the client's API, its watcher, and a list call wrapped with retries. */
export interface PodObserverContext {
  readonly core: CoreV1Api;
  readonly watch: Watch;
  /** Lists the Pod by name (field selector); returns it (or undefined) and the list's resourceVersion. */
  readonly list: (signal: AbortSignal) => Promise<{ pod: V1Pod | undefined; resourceVersion: string }>;
}

/**
 * Follows one Pod with the list-then-watch pattern of Kubernetes clients: list it (by field
 * selector `metadata.name`), decide on what the list shows, then watch from the list's
 * `resourceVersion` and decide on each event, so no change is missed. A watch that drops, or ends
 * with an ERROR (410 Expired), is resumed by listing again. Resolves with the first decision;
 * `undefined` when `timeoutMs` passes; rejects with the signal's reason when it aborts.
 */
export async function observePod<T>(
  context: PodObserverContext,
  path: string,
  name: string,
  decide: (pod: V1Pod | undefined) => T | undefined,
  options: { signal: AbortSignal; timeoutMs: number },
): Promise<T | undefined> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([options.signal, deadline]);
  try {
    for (;;) {
      signal.throwIfAborted();
      const listed = await context.list(signal);
      const first = decide(listed.pod);
      if (first !== undefined) return first;
      const decided = await new Promise<{ value: T } | undefined>((resolve, reject) => {
        let controller: AbortController | undefined;
        let settled = false;
        const finish = (outcome: { value: T } | undefined, error?: unknown) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          controller?.abort();
          if (error !== undefined) reject(error);
          else resolve(outcome);
        };
        const onAbort = () => finish(undefined, signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        context.watch
          .watch(
            path,
            {
              fieldSelector: `metadata.name=${name}`,
              resourceVersion: listed.resourceVersion,
              allowWatchBookmarks: true,
            },
            (type, object) => {
              if (type === 'ERROR') return finish(undefined);
              if (type === 'BOOKMARK') return;
              const value = decide(type === 'DELETED' ? undefined : (object as V1Pod));
              if (value !== undefined) finish({ value });
            },
            () => finish(undefined),
          )
          .then(
            (abort) => {
              controller = abort;
              if (settled) abort.abort();
            },
            () => finish(undefined),
          );
      });
      if (decided) return decided.value;
      await new Promise((resolve) => setTimeout(resolve, RELIST_DELAY));
    }
  } catch (error) {
    if (deadline.aborted && !options.signal.aborted) return undefined;
    throw error;
  }
}
