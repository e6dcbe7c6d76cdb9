import {
  CannotSubstantiateError,
  ConfigurationError,
  FailedToSubstantiateError,
  type LatentErrorOptions,
} from '@latentci/core';

/** What every Hyper error tells about the failed call. */
export interface HyperCallDetails {
  /** HTTP method and path of the call, e.g. `POST /v1.23/containers/create`. */
  readonly call: string;
  /** HTTP status, absent when no answer came (network failure, timeout). */
  readonly status?: number;
  /** Hyper's plain-text answer, trimmed. */
  readonly body?: string;
}

/**
 * Hyper refused the request's signature (HTTP 401). Not retryable: the build ends with an exception
 * instead of being retried, because asking again with the same keys cannot work.
 */
export class HyperAuthenticationError extends CannotSubstantiateError {
  readonly status?: number;
  readonly body?: string;
  readonly call: string;

  constructor(message: string, details: HyperCallDetails, options: LatentErrorOptions = {}) {
    super(message, options);
    this.call = details.call;
    if (details.status !== undefined) this.status = details.status;
    if (details.body !== undefined) this.body = details.body;
  }
}

/** Hyper refused the request because its `X-Hyper-Date` is more than 5 minutes off Hyper's clock. */
export class HyperClockSkewError extends HyperAuthenticationError {}

/** Hyper refused the request because the body does not match its signed hash ("payload check error"). */
export class HyperPayloadRejectedError extends HyperAuthenticationError {}

/** The image does not exist for Hyper (`404 No such image: …`). Not retryable: the build ends with an exception. */
export class ImageNotFoundError extends CannotSubstantiateError {
  readonly image: string;

  constructor(message: string, image: string, options: LatentErrorOptions = {}) {
    super(message, options);
    this.image = image;
  }
}

/**
 * Hyper refused the request itself (400 "invalid parameter", 413/414/431 "too large"): a setting has
 * a value Hyper does not accept. Not retryable: the same request fails again.
 */
export class HyperRequestRejectedError extends ConfigurationError {
  readonly status: number;
  readonly body: string;
  readonly call: string;

  constructor(message: string, details: Required<HyperCallDetails>, options: LatentErrorOptions = {}) {
    super(message, options);
    this.call = details.call;
    this.status = details.status;
    this.body = details.body;
  }
}

/**
 * Any other failed Hyper call. Retryable when Hyper (or the network) may recover: 5xx, 408, 429, or
 * no answer at all; not retryable for other 4xx answers.
 */
export class HyperApiError extends FailedToSubstantiateError {
  readonly status?: number;
  readonly body?: string;
  readonly call: string;

  constructor(message: string, details: HyperCallDetails, options: LatentErrorOptions = {}) {
    const status = details.status;
    super(message, {
      ...options,
      retryable: options.retryable ?? (status === undefined || status >= 500 || status === 408 || status === 429),
    });
    this.call = details.call;
    if (status !== undefined) this.status = status;
    if (details.body !== undefined) this.body = details.body;
  }
}
