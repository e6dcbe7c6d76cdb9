import type { Logger } from '../logging/logger.js';
import type { Redactor } from './redactor.js';

/**
 * `logger`, with every secret `redactor` knows removed from messages and fields before they reach
 * it. The core hands providers such a logger (`createProviderLatentWorker`), so no provider
 * redacts by hand; secrets registered later (a new worker password) are covered too.
 */
export function redactingLogger(logger: Logger, redactor: Redactor): Logger {
  return {
    log(level, message, fields) {
      logger.log(level, redactor.redact(message), fields === undefined ? undefined : redactor.redactValue(fields));
    },
  };
}
