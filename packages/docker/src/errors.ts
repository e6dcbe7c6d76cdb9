import {
  CannotSubstantiateError,
  ConfigurationError,
  FailedToSubstantiateError,
  type LatentErrorOptions,
} from '@latentci/core';

/**
 * The Docker engine could not be reached at all (socket missing, connection refused, host
 * unreachable). Retryable: the engine may come back; the worker is quarantined meanwhile.
 */
export class DockerEngineUnreachableError extends FailedToSubstantiateError {
  /** The engine address that was tried (never contains credentials). */
  readonly dockerHost: string;

  constructor(dockerHost: string, message: string, options: LatentErrorOptions = {}) {
    super(message, options);
    this.dockerHost = dockerHost;
  }
}

/** The TLS handshake with the engine failed (bad CA, wrong client certificate, plain HTTP to a TLS port…). */
export class DockerTlsError extends FailedToSubstantiateError {
  readonly dockerHost: string;

  constructor(dockerHost: string, message: string, options: LatentErrorOptions = {}) {
    super(message, options);
    this.dockerHost = dockerHost;
  }
}

/** Another container already uses the worker's container name (a concurrent master with the same hash). Retryable. */
export class ContainerNameConflictError extends FailedToSubstantiateError {
  readonly containerName: string;

  constructor(containerName: string, message: string, options: LatentErrorOptions = {}) {
    super(message, options);
    this.containerName = containerName;
  }
}

/**
 * The engine refused the request itself (HTTP 400 "invalid parameter", 413/414/431 "too large"):
 * a setting has a value the engine does not accept. Not retryable: the same request fails again.
 */
export class DockerRequestRejectedError extends ConfigurationError {
  readonly statusCode: number;

  constructor(message: string, statusCode: number, options: LatentErrorOptions = {}) {
    super(message, options);
    this.statusCode = statusCode;
  }
}

/** The engine answered a call with an error status. Retryable, as Buildbot retries any Docker API error. */
export class DockerApiError extends FailedToSubstantiateError {
  /** HTTP status of the engine's answer, when there was one. */
  readonly statusCode: number | undefined;

  constructor(message: string, statusCode: number | undefined, options: LatentErrorOptions = {}) {
    super(message, options);
    this.statusCode = statusCode;
  }
}

/**
 * Buildbot's `Image "<image>" not found on docker host.`: the image is not on the engine after the
 * optional build and pull. Not retried (the build request cannot work as it is).
 */
export class ImageNotFoundError extends CannotSubstantiateError {
  readonly image: string;

  constructor(image: string, message: string, options: LatentErrorOptions = {}) {
    super(message, options);
    this.image = image;
  }
}

/** The engine refused to run the image on its operating system (Windows/Linux mismatch). Not retried. */
export class WrongImagePlatformError extends CannotSubstantiateError {
  readonly image: string;

  constructor(image: string, message: string, options: LatentErrorOptions = {}) {
    super(message, options);
    this.image = image;
  }
}

/**
 * A volume definition cannot be parsed. At configuration time it fails the configuration; when a
 * renderable volume renders to a bad string at start it is retryable, like Buildbot's `ConfigErrors`
 * raised from `start_instance`.
 */
export class InvalidVolumeError extends ConfigurationError {
  readonly volume: string;

  constructor(volume: string, message: string, options: LatentErrorOptions = {}) {
    super(message, options);
    this.volume = volume;
  }
}

/** `hostconfig` has keys that neither docker-py's `create_host_config` nor the Engine API know. */
export class UnknownHostConfigKeyError extends ConfigurationError {
  readonly keys: readonly string[];

  constructor(keys: readonly string[], message: string, options: LatentErrorOptions = {}) {
    super(message, options);
    this.keys = keys;
  }
}

/** A `hostconfig` value has the wrong type or format (e.g. `mem_limit: "12x"`). */
export class InvalidHostConfigValueError extends ConfigurationError {
  readonly key: string;

  constructor(key: string, message: string, options: LatentErrorOptions = {}) {
    super(message, options);
    this.key = key;
  }
}
