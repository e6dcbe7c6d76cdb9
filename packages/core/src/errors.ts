/**
 * Every failure latentci reports is a `LatentError`: a stable `code` to branch on, a `retryable`
 * flag that tells a master whether asking again can help, and the underlying `cause`.
 *
 * Codes (stable, documented in the core README):
 * - `CONFIGURATION_ERROR`: a setting is invalid; fix the configuration. Not retryable.
 * - `RENDER_ERROR`: a renderable could not be rendered (bad format, missing key). Not retryable.
 * - `FAILED_TO_SUBSTANTIATE`: the backend could not start the worker now (infrastructure). Retryable;
 *   the worker is quarantined.
 * - `SUBSTANTIATION_TIMEOUT`: the worker did not attach within `missingTimeout`. Retryable.
 * - `WORKER_CRASHED`: the instance died before the worker connected (`checkInstance`). Retryable.
 * - `CANNOT_SUBSTANTIATE`: the build's request itself cannot be satisfied (e.g. the image does not
 *   exist). Not retryable: the build should end with an exception.
 * - `SUBSTANTIATION_CANCELLED`: a stop or shutdown cancelled the start. Retryable.
 * - `WORKER_SHUT_DOWN`: the worker was shut down and takes no more builds. Not retryable.
 * - `UNSUPPORTED_SPECIFICATION_VERSION`: a provider implements a contract version this core does
 *   not know. Not retryable.
 * - `BACKEND_ERROR`: a backend call failed outside a start (stop, health check, reaping).
 * - `CONNECTION_REJECTED`: `attached()` refused a worker connection (not starting, or already
 *   connected). The master closes that connection; the lifecycle is unchanged. Not retryable.
 * - `WORKER_PROTOCOL_ERROR`: a worker connection sent bytes that break its wire protocol (malformed,
 *   over a size limit, an unknown kind); that connection is closed. Not retryable.
 * - `WORKER_CONNECTION_LOST`: a worker connection closed (or stopped answering) while a call was
 *   pending. Retryable once the worker reconnects.
 * - `WORKER_REMOTE_ERROR`: the worker answered a call with an error (unknown command, missing
 *   arguments, a failed command). Not retryable.
 */
export type LatentErrorCode =
  | 'CONFIGURATION_ERROR'
  | 'RENDER_ERROR'
  | 'FAILED_TO_SUBSTANTIATE'
  | 'SUBSTANTIATION_TIMEOUT'
  | 'WORKER_CRASHED'
  | 'CANNOT_SUBSTANTIATE'
  | 'SUBSTANTIATION_CANCELLED'
  | 'WORKER_SHUT_DOWN'
  | 'UNSUPPORTED_SPECIFICATION_VERSION'
  | 'BACKEND_ERROR'
  | 'CONNECTION_REJECTED'
  | 'WORKER_PROTOCOL_ERROR'
  | 'WORKER_CONNECTION_LOST'
  | 'WORKER_REMOTE_ERROR';

export interface LatentErrorOptions {
  cause?: unknown;
  /** Overrides the class default. */
  retryable?: boolean;
}

export class LatentError extends Error {
  readonly code: LatentErrorCode;
  readonly retryable: boolean;

  constructor(code: LatentErrorCode, message: string, retryable: boolean, options: LatentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? retryable;
  }
}

/** A setting is invalid. The message names the setting and says what is accepted. */
export class ConfigurationError extends LatentError {
  constructor(message: string, options: LatentErrorOptions = {}) {
    super('CONFIGURATION_ERROR', message, false, options);
  }
}

/** A renderable could not be rendered: malformed `Interpolate` format, missing keyword, etc. */
export class RenderError extends LatentError {
  constructor(message: string, options: LatentErrorOptions = {}) {
    super('RENDER_ERROR', message, false, options);
  }
}

/**
 * Buildbot's `LatentWorkerFailedToSubstantiate`: an infrastructure problem. The build is retried
 * and the worker quarantined. `quarantined` tells the master whether the worker is now in
 * quarantine (set by the lifecycle when it delivers the error).
 */
export class FailedToSubstantiateError extends LatentError {
  quarantined = false;

  constructor(message: string, options: LatentErrorOptions = {}) {
    super('FAILED_TO_SUBSTANTIATE', message, true, options);
  }

  protected withCode(code: LatentErrorCode): this {
    (this as { code: LatentErrorCode }).code = code;
    return this;
  }
}

/** The worker did not attach within `missingTimeout` (covers image pull, start and connect). */
export class SubstantiationTimeoutError extends FailedToSubstantiateError {
  constructor(message: string, options: LatentErrorOptions = {}) {
    super(message, options);
    this.withCode('SUBSTANTIATION_TIMEOUT');
  }
}

/** `checkInstance` found the instance dead before the worker connected. */
export class WorkerCrashedError extends FailedToSubstantiateError {
  constructor(message: string, options: LatentErrorOptions = {}) {
    super(message, options);
    this.withCode('WORKER_CRASHED');
  }
}

/**
 * Buildbot's `LatentWorkerCannotSubstantiate`: the build request itself cannot be satisfied (for
 * example the image does not exist). Not retried; the build ends with an exception.
 */
export class CannotSubstantiateError extends LatentError {
  quarantined = false;

  constructor(message: string, options: LatentErrorOptions = {}) {
    super('CANNOT_SUBSTANTIATE', message, false, options);
  }
}

/** A stop (insubstantiate, shutdown, abort) cancelled a start that was waiting or in progress. */
export class SubstantiationCancelledError extends LatentError {
  constructor(message: string, options: LatentErrorOptions = {}) {
    super('SUBSTANTIATION_CANCELLED', message, true, options);
  }
}

/** The worker was shut down (`shutdown()`); it takes no more builds. */
export class WorkerShutDownError extends LatentError {
  constructor(message: string, options: LatentErrorOptions = {}) {
    super('WORKER_SHUT_DOWN', message, false, options);
  }
}

/** A provider declares a `specificationVersion` this core does not implement. */
export class UnsupportedSpecificationVersionError extends LatentError {
  constructor(message: string, options: LatentErrorOptions = {}) {
    super('UNSUPPORTED_SPECIFICATION_VERSION', message, false, options);
  }
}

/** A backend call failed outside a start: stop, health check, orphan listing or reaping. */
export class BackendError extends LatentError {
  constructor(message: string, options: LatentErrorOptions = {}) {
    super('BACKEND_ERROR', message, true, options);
  }
}

export function isLatentError(value: unknown): value is LatentError {
  return value instanceof LatentError;
}

/** True for the errors `AbortSignal` produces; those pass through latentci unchanged. */
export function isAbortError(value: unknown): boolean {
  return value instanceof Error && (value.name === 'AbortError' || value.name === 'TimeoutError');
}
