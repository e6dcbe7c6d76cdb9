import { LatentError, type LatentErrorOptions } from '../errors.js';

/**
 * `attached()` refused a connection: the worker was not starting an instance (a stale instance from
 * an earlier run, or a connection before `startInstance` was called), or a second connection
 * arrived while one is attached. The master should close that connection; the lifecycle is
 * unchanged.
 */
export class ConnectionRejectedError extends LatentError {
  constructor(message: string, options: LatentErrorOptions = {}) {
    super('CONNECTION_REJECTED', message, false, options);
  }
}
