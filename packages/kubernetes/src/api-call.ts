import { ApiException } from '@kubernetes/client-node';
import { isAbortError, type Redactor } from '@latentci/core';
import { abortableSleep } from '@latentci/provider-utils';
import {
  type KubernetesAnswer,
  KubernetesApiError,
  type KubernetesCause,
  KubernetesForbiddenError,
  KubernetesInvalidObjectError,
  KubernetesNamespaceNotFoundError,
} from './errors.js';

const MAX_RETRY_DELAY = 10_000;

/** A call the provider makes, for error messages and RBAC hints. */
export interface CallDescription {
  readonly verb: string;
  readonly resource: string;
  readonly namespace: string;
  readonly name?: string;
}

/** A non-2xx answer decoded: status, `Status` body, `Retry-After`. */
export interface DecodedAnswer {
  readonly status: number;
  readonly reason: string;
  readonly message: string;
  readonly causes: readonly KubernetesCause[];
  readonly retryAfterSeconds?: number;
  readonly detailsKind?: string;
}

/** Decodes an `ApiException` of the client (its body is the `Status` JSON, as text); undefined for other errors. */
export function decodeApiException(error: unknown): DecodedAnswer | undefined {
  if (!(error instanceof ApiException)) {
    const status = (error as { statusCode?: unknown } | null)?.statusCode;
    if (typeof status === 'number')
      return { status, reason: '', message: String((error as Error).message), causes: [] };
    return undefined;
  }
  let body: {
    reason?: string;
    message?: string;
    details?: { kind?: string; causes?: KubernetesCause[]; retryAfterSeconds?: number };
  } = {};
  try {
    body = typeof error.body === 'string' ? JSON.parse(error.body) : ((error.body as typeof body) ?? {});
  } catch {
    body = { message: String(error.body) };
  }
  const header = Number(error.headers?.['retry-after']);
  const retryAfterSeconds = Number.isFinite(header) ? header : body.details?.retryAfterSeconds;
  return {
    status: error.code,
    reason: body.reason ?? (error.code === 401 ? 'Unauthorized' : ''),
    message: body.message ?? error.message,
    causes: body.details?.causes ?? [],
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    ...(body.details?.kind ? { detailsKind: body.details.kind } : {}),
  };
}

/** True for the answers worth another attempt: 429 and 5xx. */
export function isRetryable(answer: DecodedAnswer): boolean {
  return answer.status === 429 || answer.status >= 500;
}

/**
 * Runs one API call, retrying 429 and 5xx answers (waiting `Retry-After` when given, else a
 * doubling backoff) up to `attempts` times; any other failure is thrown at once as the typed
 * error {@link classifyFailure} gives.
 */
export async function callApi<T>(
  description: CallDescription,
  call: () => Promise<T>,
  options: {
    attempts: number;
    retryDelay: number;
    signal: AbortSignal;
    redactor: Redactor;
    onRetry?: (problem: string) => void;
  },
): Promise<T> {
  let delay = options.retryDelay;
  for (let attempt = 1; ; attempt += 1) {
    options.signal.throwIfAborted();
    try {
      return await call();
    } catch (error) {
      if (isAbortError(error) || options.signal.aborted) throw options.signal.aborted ? options.signal.reason : error;
      const answer = decodeApiException(error);
      if (attempt < options.attempts && (answer === undefined || isRetryable(answer))) {
        const wait = answer?.retryAfterSeconds !== undefined ? answer.retryAfterSeconds * 1000 : delay;
        options.onRetry?.(
          options.redactor.redact(
            `${description.verb} ${description.resource}: ${answer ? `${answer.status} ${answer.message}` : (error as Error).message}; retrying in ${wait} ms`,
          ),
        );
        await abortableSleep(wait, options.signal);
        delay = Math.min(delay * 2, MAX_RETRY_DELAY);
        continue;
      }
      throw classifyFailure(error, description, options.redactor);
    }
  }
}

/** The typed error for a failed call: 401/403, 404 namespace, 422, or retryable (409, 429, 5xx, network). */
export function classifyFailure(error: unknown, description: CallDescription, redactor: Redactor): Error {
  const answer = decodeApiException(error);
  const what = `${description.verb} ${description.resource}${description.name ? ` "${description.name}"` : ''} in namespace "${description.namespace}"`;
  if (!answer) {
    return new KubernetesApiError(
      redactor.redact(`Unable to ${what}: the API server is unreachable: ${(error as Error).message}`),
      undefined,
      { cause: error },
    );
  }
  const typed: KubernetesAnswer = {
    status: answer.status,
    reason: answer.reason,
    verb: description.verb,
    resource: description.resource,
    namespace: description.namespace,
  };
  const message = redactor.redact(answer.message);
  if (answer.status === 401) {
    return new KubernetesForbiddenError(
      `The Kubernetes API server rejected the credentials (401 Unauthorized) when trying to ${what}: check kubeConfig (token expired? wrong client certificate?)`,
      typed,
    );
  }
  if (answer.status === 403) {
    return new KubernetesForbiddenError(
      `Kubernetes RBAC does not allow "${description.verb}" on "${description.resource}" in namespace "${description.namespace}" (403 Forbidden: ${message}); grant it in the Role bound to the provider's user or service account (see the README's RBAC Role)`,
      typed,
    );
  }
  if (
    answer.status === 404 &&
    (answer.detailsKind === 'namespaces' || /namespaces? "[^"]*" not found/.test(answer.message))
  ) {
    return new KubernetesNamespaceNotFoundError(
      `The namespace "${description.namespace}" does not exist (404 when trying to ${what}); create it or fix the namespace setting`,
      typed,
    );
  }
  if (answer.status === 422) {
    const listed = answer.causes.map((cause) => `${cause.field ? `${cause.field}: ` : ''}${cause.message}`).join('; ');
    return new KubernetesInvalidObjectError(
      redactor.redact(
        `Kubernetes rejected the ${description.resource === 'pods' ? 'Pod' : description.resource} (422 Invalid): ${listed || answer.message}. Fix image, resources, podSpec or the other Pod options`,
      ),
      typed,
      answer.causes,
    );
  }
  if (answer.status === 409) {
    return new KubernetesApiError(
      `Unable to ${what}: it already exists (409 AlreadyExists: ${message}); delete it or pick another worker name`,
      typed,
    );
  }
  return new KubernetesApiError(
    `Unable to ${what}: ${answer.status} ${answer.reason || ''} ${message}`.replace(/\s+/g, ' ').trim(),
    typed,
    { retryable: isRetryable(answer) },
  );
}
