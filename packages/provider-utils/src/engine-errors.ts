/** What a Docker Engine API error looks like: dockerode sets `statusCode` and `json`, Node sets `code`. */
export interface EngineErrorShape {
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

/** True when the engine answered 404 (no such container, image, service or task). */
export function isNotFound(error: unknown): boolean {
  return engineStatusCode(error) === 404;
}

/** The engine's own error text (`{"message": …}`), without dockerode's `(HTTP code …)` decoration. */
export function engineMessage(error: unknown): string {
  const shape = error as EngineErrorShape | null;
  const json = shape?.json as { message?: unknown } | null | undefined;
  if (json && typeof json === 'object' && typeof json.message === 'string') return json.message;
  if (Buffer.isBuffer(shape?.json)) return shape.json.toString('utf8').trim();
  if (typeof shape?.message === 'string') return shape.message.trim();
  return String(error);
}
