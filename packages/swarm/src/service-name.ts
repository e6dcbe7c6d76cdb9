import { ConfigurationError } from '@latentci/core';

/** Swarm service names: letters, digits and `-`, at most 63 characters, not starting or ending with `-`. */
const SERVICE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Checks that Buildbot's instance name (`buildbot-<worker>-<masterhash>`) is a valid Swarm service
 * name; Swarm would refuse it with a terse `InvalidArgument`.
 */
export function assertServiceName(name: string, workerName: string): void {
  if (SERVICE_NAME.test(name)) return;
  const why =
    name.length > 63
      ? `it is ${name.length} characters long and Swarm allows 63`
      : 'Swarm service names may only hold letters, digits and "-" (not at either end)';
  throw new ConfigurationError(
    `the Swarm service name "${name}" for worker "${workerName}" is invalid: ${why}. Rename the worker (its name goes into the service name) to letters, digits, "-" and "_", short enough for the name to fit`,
  );
}
