import { isAbortError } from '@latentci/core';

/**
 * The contract: a call whose signal aborted rejects with the signal's reason. HTTP and engine
 * clients (fetch, ky, dockerode) throw their own `AbortError` instead; pass their error through
 * this to get the reason back. Any other error is returned as it is.
 */
export function abortReasonOr(error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted && (isAbortError(error) || error === signal.reason)) return signal.reason;
  return error;
}
