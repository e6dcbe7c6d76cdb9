/**
 * Waits `milliseconds`; rejects with `signal.reason` as soon as `signal` aborts. The one timer a
 * provider may hold: a pause between two attempts inside one call, bounded by that call's signal.
 */
export function abortableSleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export interface PollOptions {
  /** Milliseconds between two checks. */
  readonly interval: number;
  /** Milliseconds after which `poll` resolves `undefined` instead of checking again. */
  readonly timeout: number;
  readonly signal: AbortSignal;
}

/**
 * Calls `check` until it returns something other than `undefined`, `interval` ms apart, for at most
 * `timeout` ms (then resolves `undefined`); rejects with `signal.reason` when the signal aborts.
 */
export async function poll<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T | undefined> {
  const deadline = Date.now() + options.timeout;
  for (;;) {
    options.signal.throwIfAborted();
    const result = await check();
    if (result !== undefined) return result;
    if (Date.now() >= deadline) return undefined;
    await abortableSleep(Math.min(options.interval, Math.max(0, deadline - Date.now())), options.signal);
  }
}
