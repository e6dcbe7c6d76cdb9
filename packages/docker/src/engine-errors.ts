import { isAbortError, isLatentError } from '@latentci/core';
import { clipText, type EngineErrorShape, engineMessage, engineStatusCode } from '@latentci/provider-utils';
import {
  ContainerNameConflictError,
  DockerApiError,
  DockerEngineUnreachableError,
  DockerRequestRejectedError,
  DockerTlsError,
} from './errors.js';

/** Answers about the request itself: a setting's value, not the engine's state. */
const REJECTED_REQUEST_STATUSES = new Set([400, 413, 414, 431]);

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EPIPE',
]);

/**
 * Podman answers a value it refuses with HTTP 500, as for a server fault, with the Go error in
 * `cause` ("invalid value abc for cpuset cpus"): that one is about the request, like Docker's 400.
 */
function isPodmanInvalidValue(status: number, json: unknown): boolean {
  const cause = (json as { cause?: unknown } | null)?.cause;
  return status === 500 && typeof cause === 'string' && /^invalid (value|argument)\b/i.test(cause);
}

function isTlsFailure(code: string, message: string): boolean {
  return (
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    code.includes('CERT') ||
    code === 'EPROTO' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
    /SSL|TLS|certificate/i.test(message)
  );
}

/**
 * Turns an error from a dockerode call into latentci's typed errors, with a message that says what
 * to do. Abort errors and errors that already are latentci errors pass through unchanged.
 */
export function translateEngineError(error: unknown, dockerHost: string, fullAction: string): unknown {
  if (isAbortError(error) || isLatentError(error)) return error;
  // A name of megabytes must not become a message of megabytes.
  const action = clipText(fullAction, 200);
  const shape = (error ?? {}) as EngineErrorShape;
  const code = typeof shape.code === 'string' ? shape.code : '';
  const status = engineStatusCode(error);
  const detail = engineMessage(error);
  if (status === undefined && isTlsFailure(code, detail)) {
    return new DockerTlsError(
      dockerHost,
      `TLS connection to the Docker engine at ${dockerHost} failed while trying to ${action} (${code || detail}): check that tls.ca signs the engine's certificate, that tls.cert/tls.key are a client certificate the engine trusts, and that the engine really listens with TLS there`,
      { cause: error },
    );
  }
  if (status === 400 && /HTTP request to an HTTPS server/i.test(detail)) {
    return new DockerTlsError(
      dockerHost,
      `the Docker engine at ${dockerHost} expects TLS, but latentci spoke plain HTTP while trying to ${action}: use an https:// dockerHost or set the tls option (ca, cert, key)`,
      { cause: error },
    );
  }
  if (status !== undefined && (REJECTED_REQUEST_STATUSES.has(status) || isPodmanInvalidValue(status, shape.json))) {
    const why =
      status === 400 || status === 500
        ? 'a setting has a value the engine does not accept'
        : 'a setting is too large for the engine to accept';
    return new DockerRequestRejectedError(
      `the Docker engine at ${dockerHost} refused to ${action} (HTTP ${status}): ${clipText(detail)}; ${why}: fix it in the provider settings (retrying cannot help)`,
      status,
      { cause: error },
    );
  }
  if (status === undefined && UNREACHABLE_CODES.has(code)) {
    const advice =
      code === 'EACCES'
        ? 'give this process access to the socket (e.g. add the user to the docker group)'
        : code === 'ENOENT'
          ? 'start the Docker engine (dockerd) or set dockerHost (or DOCKER_HOST) to the socket or tcp:// address it listens on'
          : 'check that the Docker engine is running and listening there, or set dockerHost (or DOCKER_HOST) to where it listens';
    return new DockerEngineUnreachableError(
      dockerHost,
      `cannot reach the Docker engine at ${dockerHost} to ${action} (${code}): ${advice}`,
      { cause: error },
    );
  }
  // Docker answers 409; Podman 500 with "the container name "x" is already in use by <id>".
  if ((status === 409 || status === 500) && /name .* is already in use|Conflict\. The container name/i.test(detail)) {
    const name = /container name "\/?([^"]+)"/.exec(detail)?.[1] ?? '';
    return new ContainerNameConflictError(
      name,
      `cannot ${action}: ${detail}. Another master with the same name hash may run a worker of the same name; give the masters distinct masterId values or remove the container`,
      { cause: error },
    );
  }
  return new DockerApiError(
    `Docker engine at ${dockerHost} failed to ${action}${status === undefined ? '' : ` (HTTP ${status})`}: ${detail}`,
    status,
    { cause: error },
  );
}
