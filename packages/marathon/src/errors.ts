import { CannotSubstantiateError, ConfigurationError, type LatentErrorOptions } from '@latentci/core';

/**
 * Marathon answered 401 or 403 to a request: the credentials in `marathonAuth` are missing, wrong
 * or not allowed to manage apps. Not retryable: asking again with the same credentials cannot help.
 */
export class MarathonAuthenticationError extends CannotSubstantiateError {
  /** The HTTP status Marathon answered: 401 or 403. */
  readonly status: number;

  constructor(message: string, status: number, options: LatentErrorOptions = {}) {
    super(message, options);
    this.status = status;
  }
}

/** One group of Marathon's 422 validation errors. */
export interface MarathonViolation {
  readonly path: string;
  readonly errors: readonly string[];
}

/**
 * Marathon rejected the app definition with 422 (or the request with 400, 413, 414 or 431): the
 * generated app, merged with `marathonExtraConfig`, is not valid. Not retryable. `details` are Marathon's violations, also listed in the message.
 */
export class MarathonAppRejectedError extends ConfigurationError {
  readonly details: readonly MarathonViolation[];

  constructor(message: string, details: readonly MarathonViolation[], options: LatentErrorOptions = {}) {
    super(message, options);
    this.details = details;
  }
}
