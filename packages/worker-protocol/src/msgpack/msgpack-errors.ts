import { BackendError, type LatentErrorOptions } from '@latentci/core';

/**
 * What went wrong on a msgpack_experimental_v7 connection. Every such error has core's
 * `BACKEND_ERROR` code; `reason` tells the cases apart:
 * - `decode`: a frame is not valid msgpack, not a map, too deep or uses a type the protocol never sends;
 * - `remote`: the worker answered a request with an exception response (its text is the message);
 * - `connection-lost`: the connection closed before the worker answered;
 * - `unresponsive`: the worker stopped answering WebSocket pings;
 * - `usage`: the channel was asked something it cannot do yet (e.g. a command before `setBuilder`).
 */
export type MsgpackErrorReason = 'decode' | 'remote' | 'connection-lost' | 'unresponsive' | 'usage';

export class MsgpackProtocolError extends BackendError {
  readonly reason: MsgpackErrorReason;

  constructor(reason: MsgpackErrorReason, message: string, options: LatentErrorOptions = {}) {
    super(message, { retryable: reason !== 'usage' && reason !== 'decode', ...options });
    this.reason = reason;
  }
}
