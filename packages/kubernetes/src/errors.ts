import {
  CannotSubstantiateError,
  ConfigurationError,
  FailedToSubstantiateError,
  type LatentErrorOptions,
} from '@latentci/core';

/** One field error of a 422 Invalid answer (`details.causes`). */
export interface KubernetesCause {
  readonly field?: string;
  readonly reason?: string;
  readonly message: string;
}

/** What the API server said: HTTP status, `Status.reason`, and the call that got it. */
export interface KubernetesAnswer {
  readonly status: number;
  /** `Status.reason`: `Forbidden`, `NotFound`, `AlreadyExists`, `Invalid`, `TooManyRequests`… */
  readonly reason: string;
  /** The RBAC verb of the call: `create`, `get`, `list`, `watch`, `delete`. */
  readonly verb: string;
  /** The resource: `pods`, `pods/log`, `secrets`. */
  readonly resource: string;
  readonly namespace: string;
}

/**
 * 401 (the credentials are not accepted) or 403 (RBAC does not allow the verb on the resource):
 * not retryable, asking again with the same credentials cannot help. The message names the verb
 * and resource to grant.
 */
export class KubernetesForbiddenError extends CannotSubstantiateError {
  readonly answer: KubernetesAnswer;
  constructor(message: string, answer: KubernetesAnswer, options: LatentErrorOptions = {}) {
    super(message, options);
    this.answer = answer;
  }
}

/** 404 for the namespace: the `namespace` setting names one that does not exist. */
export class KubernetesNamespaceNotFoundError extends ConfigurationError {
  readonly answer: KubernetesAnswer;
  constructor(message: string, answer: KubernetesAnswer, options: LatentErrorOptions = {}) {
    super(message, options);
    this.answer = answer;
  }
}

/** 422 Invalid: the generated Pod (with `podSpec`, `resources`…) is not valid; `causes` lists the fields. */
export class KubernetesInvalidObjectError extends ConfigurationError {
  readonly answer: KubernetesAnswer;
  readonly causes: readonly KubernetesCause[];
  constructor(
    message: string,
    answer: KubernetesAnswer,
    causes: readonly KubernetesCause[],
    options: LatentErrorOptions = {},
  ) {
    super(message, options);
    this.answer = answer;
    this.causes = causes;
  }
}

/**
 * 409 AlreadyExists that the provider could not resolve (a Pod of the worker's name that is not
 * latentci's), 429 TooManyRequests or 5xx after every attempt, or an unreachable API server:
 * retryable, the core retries after the quarantine.
 */
export class KubernetesApiError extends FailedToSubstantiateError {
  readonly answer: KubernetesAnswer | undefined;
  constructor(message: string, answer: KubernetesAnswer | undefined, options: LatentErrorOptions = {}) {
    super(message, options);
    this.answer = answer;
  }
}

/** The worker image cannot be pulled (`ErrImagePull`, `ImagePullBackOff`, `InvalidImageName`): not retryable. */
export class KubernetesImagePullError extends CannotSubstantiateError {
  readonly image: string;
  readonly reason: string;
  constructor(message: string, image: string, reason: string, options: LatentErrorOptions = {}) {
    super(message, options);
    this.image = image;
    this.reason = reason;
  }
}
