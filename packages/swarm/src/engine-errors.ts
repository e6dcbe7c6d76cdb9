// Minimal engine-error helpers (to move to the shared provider-utils place with the docker provider's).
import { FailedToSubstantiateError, isAbortError, isLatentError } from '@latentci/core';

interface EngineErrorShape {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly json?: unknown;
}

/** The HTTP status of an engine answer, or undefined for transport errors. */
export function engineStatusCode(error: unknown): number | undefined {
  const status = (error as EngineErrorShape | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function isNotFound(error: unknown): boolean {
  return engineStatusCode(error) === 404;
}

/** The engine's own error text (`{"message": …}`), without dockerode's decoration. */
export function engineMessage(error: unknown): string {
  const shape = error as EngineErrorShape | null;
  const json = shape?.json as { message?: unknown } | null | undefined;
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message;
  if (Buffer.isBuffer(shape?.json)) return shape.json.toString('utf8').trim();
  if (typeof shape?.message === 'string') return shape.message.trim();
  return String(error);
}

/** A failed Swarm API call during a start: retryable, with what to check. */
export function translateSwarmError(error: unknown, manager: string, action: string): unknown {
  if (isAbortError(error) || isLatentError(error)) return error;
  const status = engineStatusCode(error);
  const code = (error as EngineErrorShape | null)?.code;
  if (status === 503) {
    return new FailedToSubstantiateError(
      `the engine at ${manager} cannot ${action}: ${engineMessage(error)}. Point dockerHost at a swarm manager (docker swarm init, or a manager node's engine)`,
      { cause: error },
    );
  }
  if (status === undefined && typeof code === 'string') {
    return new FailedToSubstantiateError(
      `cannot reach the swarm manager at ${manager} to ${action} (${code}): check that the engine runs and listens there, or set dockerHost`,
      { cause: error },
    );
  }
  return new FailedToSubstantiateError(
    `the swarm manager at ${manager} failed to ${action}${status === undefined ? '' : ` (HTTP ${status})`}: ${engineMessage(error)}`,
    { cause: error },
  );
}
