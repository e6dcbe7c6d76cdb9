/**
 * The defaults of `latentci try`, in a module of their own so that the help text (printed by
 * `latentci --help`) reads them without loading the try machinery.
 */

/** Default `--timeout`, in seconds. */
export const DEFAULT_TRY_TIMEOUT = 60;
/**
 * Seconds the teardown of `latentci try` may take (each stop, and the whole shutdown, plus a few
 * seconds' grace): a backend that stops answering cannot hold the CLI longer. Docker's graceful
 * stop alone takes up to 10 s.
 */
export const TEARDOWN_BUDGET_SECONDS = 20;
/** Extra seconds the whole shutdown gets beyond one stop's budget (waiting for an aborted start). */
export const TEARDOWN_GRACE_SECONDS = 5;
