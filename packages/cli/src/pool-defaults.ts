/**
 * The defaults of `latentci pool`, in a module of their own so that the help text (printed by
 * `latentci --help`) reads them without loading the pool machinery.
 */

/** Default `--idle`: attached workers kept ready. */
export const DEFAULT_POOL_IDLE = 1;
/** Default `--max`: most workers at once. */
export const DEFAULT_POOL_MAX = 2;
/** Default `--hold`, in milliseconds: how long a simulated build keeps its lease. */
export const DEFAULT_POOL_HOLD_MS = 1000;
/** Milliseconds between two stats snapshots. */
export const POOL_STATS_INTERVAL_MS = 1000;
