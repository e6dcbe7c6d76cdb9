import { ConfigurationError, RenderError } from '../errors.js';
import { PythonException } from './python-values.js';

/**
 * Runs `action`, turning a Python exception raised by the emulation (formatting, operators) into
 * latentci's typed error: `RenderError` while rendering, `ConfigurationError` while constructing.
 * The message is Python's last traceback line, e.g. `TypeError: not enough arguments for format string`.
 */
export function asRenderError<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof PythonException) throw new RenderError(error.describe(), { cause: error });
    throw error;
  }
}

/** `error` as `asRenderError` would rethrow it (for callers that catch themselves). */
export function toRenderError(error: unknown): unknown {
  return error instanceof PythonException ? new RenderError(error.describe(), { cause: error }) : error;
}

/**
 * `error` as `asConfigurationError(context(subject), …)` would rethrow it; the context is
 * computed only when there is an error (constructions that succeed pay nothing for it).
 */
export function toConfigurationError(error: unknown, context: (subject: string) => string, subject: string): unknown {
  return error instanceof PythonException
    ? new ConfigurationError(`${context(subject)}: ${error.describe()}`, { cause: error })
    : error;
}

/** `context` names what was being constructed, e.g. `invalid Interpolate format '%(prop:x)d'`. */
export function asConfigurationError<T>(context: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof PythonException) {
      throw new ConfigurationError(`${context}: ${error.describe()}`, { cause: error });
    }
    throw error;
  }
}
