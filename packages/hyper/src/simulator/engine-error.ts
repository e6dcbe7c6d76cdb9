import { HyperHttpError } from './plain-text-error.js';

interface DockerodeError {
  statusCode?: number;
  json?: unknown;
  message?: string;
  code?: string;
}

/**
 * Turns an error of the Docker engine (API 1.41 answers JSON `{"message"}`) into the plain-text
 * error Hyper (API 1.23) answered, with the engine-side names mapped back by `rename`.
 */
export function engineError(error: unknown, rename: (text: string) => string): HyperHttpError {
  const candidate = (error ?? {}) as DockerodeError;
  const json = candidate.json as { message?: unknown } | string | null | undefined;
  let message: string;
  if (json && typeof json === 'object' && typeof json.message === 'string') message = json.message;
  else if (typeof json === 'string' && json.trim().length > 0) message = json.trim();
  else message = candidate.message ?? String(error);
  if (typeof candidate.statusCode === 'number') return new HyperHttpError(candidate.statusCode, rename(message.trim()));
  return new HyperHttpError(500, `the simulator's Docker engine is unavailable: ${rename(message)}`);
}

export function engineStatus(error: unknown): number | undefined {
  const status = (error as DockerodeError | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
