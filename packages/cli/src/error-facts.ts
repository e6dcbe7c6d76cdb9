/** The `code` and message of an error, also of a `LatentError` from another copy of `@latentci/core`. */
export function errorFacts(error: unknown): { readonly code: string; readonly message: string } {
  const message = error instanceof Error ? error.message : String(error);
  let code = codeOf(error);
  // The lifecycle reports a settings error met at start as CANNOT_SUBSTANTIATE caused by it: it is
  // still the user's configuration to fix (exit 2), not the backend (exit 6).
  if (code === 'CANNOT_SUBSTANTIATE') {
    const cause = codeOf((error as { cause?: unknown }).cause);
    if (CONFIGURATION_CODES.has(cause)) code = cause;
  }
  return { code, message };
}

const CONFIGURATION_CODES = new Set(['CONFIGURATION_ERROR', 'RENDER_ERROR', 'UNSUPPORTED_SPECIFICATION_VERSION']);

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : 'UNKNOWN';
}

/** True for configuration-type errors (bad config, usage, unsupported provider contract). */
export function isConfigurationLike(error: unknown): boolean {
  return CONFIGURATION_CODES.has(errorFacts(error).code);
}
