/**
 * The exit codes of `latentci`. Stable: scripts branch on them.
 *
 * | code | meaning |
 * | ---- | ------- |
 * | 0    | the worker attached (`try`), or the command succeeded (`ls`, `reap`) |
 * | 1    | unexpected internal error (a bug: please report it) |
 * | 2    | configuration or usage error: fix the config file or the command line |
 * | 3    | the instance crashed (exited) before its worker connected |
 * | 4    | timed out: the worker never connected to the master |
 * | 5    | the worker reached the master but authentication failed (wrong name or password) |
 * | 6    | backend error: the provider could not start, list or remove instances |
 * | 130  | interrupted (Ctrl-C, SIGINT or SIGTERM); everything started was removed |
 */
export const EXIT_CODES = {
  attached: 0,
  internalError: 1,
  configurationError: 2,
  crashed: 3,
  timedOut: 4,
  authenticationFailed: 5,
  backendError: 6,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
