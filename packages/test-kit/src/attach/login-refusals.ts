import type { Logger } from '@latentci/core';

/**
 * A logger for `@latentci/worker-protocol`'s `startWorkerServer` that reports the logins it
 * refused (the server logs them; it has no event for them): PB's
 * `invalid login from [unknown ]worker '<name>'` and msgpack's `login refused for worker "<name>"`.
 * `unknown` tells an unknown name from a wrong password; msgpack does not say which, so a name
 * other than `isExpected` accepts counts as unknown. Every line is passed on to `next`.
 */
export function watchLoginRefusals(
  isExpected: (workerName: string) => boolean,
  onRefusal: (workerName: string, unknown: boolean) => void,
  next?: Logger,
): Logger {
  return {
    log(level, message, fields) {
      next?.log(level, message, fields);
      const pb = /^invalid login from (unknown )?worker '([^']*)'/.exec(message);
      if (pb) {
        onRefusal(pb[2] ?? '', pb[1] !== undefined);
        return;
      }
      const msgpack = /login refused for worker "([^"]*)"/.exec(message);
      if (msgpack) onRefusal(msgpack[1] ?? '', !isExpected(msgpack[1] ?? ''));
    },
  };
}
