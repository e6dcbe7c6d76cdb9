/** One JSON object of the engine's build output stream. */
export interface BuildOutputChunk {
  readonly stream?: string;
  readonly error?: string;
  readonly errorDetail?: unknown;
  readonly aux?: unknown;
  readonly status?: string;
}

/**
 * Buildbot's `_handle_stream_line`: an `error` becomes `ERROR: <error>`, otherwise the `stream`
 * text; the content is split on newlines and empty pieces are dropped.
 */
export function decodeBuildOutput(chunk: BuildOutputChunk): string[] {
  const content = typeof chunk.error === 'string' ? `ERROR: ${chunk.error}` : (chunk.stream ?? '');
  return content.split('\n').filter((line) => line.length > 0);
}
