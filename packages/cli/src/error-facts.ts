/** The `code` and message of an error, also of a `LatentError` from another copy of `@latentci/core`. */
export function errorFacts(error: unknown): { readonly code: string; readonly message: string } {
  const code =
    typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
      ? (error as { code: string }).code
      : 'UNKNOWN';
  const message = error instanceof Error ? error.message : String(error);
  return { code, message };
}

/** True for configuration-type errors (bad config, usage, unsupported provider contract). */
export function isConfigurationLike(error: unknown): boolean {
  const { code } = errorFacts(error);
  return code === 'CONFIGURATION_ERROR' || code === 'RENDER_ERROR' || code === 'UNSUPPORTED_SPECIFICATION_VERSION';
}
