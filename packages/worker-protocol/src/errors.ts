import { LatentError, type LatentErrorOptions } from '@latentci/core';

/**
 * A worker connection sent something its wire protocol does not allow: a malformed or over-limit
 * Banana/Jelly expression, an unknown message kind, a frame that is not a msgpack map. Only that
 * connection is closed; `limit` names the limit that was exceeded, when one was.
 */
export class WorkerProtocolError extends LatentError {
  readonly limit: string | undefined;

  constructor(message: string, options: LatentErrorOptions & { limit?: string } = {}) {
    super('WORKER_PROTOCOL_ERROR', message, false, options);
    this.limit = options.limit;
  }
}

/** The worker connection closed, or stopped answering, while a call on it was pending. */
export class WorkerConnectionLostError extends LatentError {
  constructor(message: string, options: LatentErrorOptions = {}) {
    super('WORKER_CONNECTION_LOST', message, true, options);
  }
}

/**
 * The worker answered a call with an error. `remoteType` is the worker-side exception class
 * (PB: the failure's `type`, e.g. `buildbot_worker.exceptions.AbandonOnFailure`; msgpack: the
 * response's text), `remoteTraceback` the worker's traceback text when it sent one.
 */
export class WorkerRemoteError extends LatentError {
  readonly remoteType: string;
  readonly remoteTraceback: string | undefined;

  constructor(
    message: string,
    remoteType: string,
    options: LatentErrorOptions & { remoteTraceback?: string | undefined } = {},
  ) {
    super('WORKER_REMOTE_ERROR', message, false, options);
    this.remoteType = remoteType;
    this.remoteTraceback = options.remoteTraceback;
  }
}
