import { FailedToSubstantiateError, isAbortError, isLatentError } from '@latentci/core';
import { type EngineErrorShape, engineMessage, engineStatusCode } from '@latentci/provider-utils';

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
