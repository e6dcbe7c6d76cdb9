/** One entry of a `Status`'s `details.causes`, as the API server lists field errors. */
export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field?: string;
}

/** Kubernetes' `Status` object (`kind: Status`), the body of every error answer. */
export interface KubernetesStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure' | 'Success';
  readonly message: string;
  readonly reason: string;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly StatusCause[];
    readonly retryAfterSeconds?: number;
  };
  readonly code: number;
}

/** The reason the API server gives for each error status (`metav1.StatusReason`). */
export const STATUS_REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'AlreadyExists',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** A failure `Status` with the server's reason for `code` unless one is given. */
export function failureStatus(
  code: number,
  message: string,
  options: { reason?: string; details?: KubernetesStatus['details'] } = {},
): KubernetesStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: options.reason ?? STATUS_REASONS[code] ?? '',
    ...(options.details ? { details: options.details } : {}),
    code,
  };
}

/** 404 NotFound: `pods "x" not found`; `details.kind` is the resource, as the server sends it. */
export function notFound(resource: string, name: string): KubernetesStatus {
  return failureStatus(404, `${resource} "${name}" not found`, { details: { name, kind: resource } });
}

/** 409 AlreadyExists: `pods "x" already exists`. */
export function alreadyExists(resource: string, name: string): KubernetesStatus {
  return failureStatus(409, `${resource} "${name}" already exists`, { details: { name, kind: resource } });
}

/** 422 Invalid: `Pod "x" is invalid: field: message` (several causes in brackets); `details.kind` is the Kind. */
export function invalid(kind: string, name: string, causes: readonly StatusCause[]): KubernetesStatus {
  const listed = causes.map((cause) => (cause.field ? `${cause.field}: ${cause.message}` : cause.message));
  const summary = listed.length === 1 ? listed[0] : `[${listed.join(', ')}]`;
  return failureStatus(422, `${kind} "${name}" is invalid: ${summary}`, { details: { name, kind, causes } });
}
