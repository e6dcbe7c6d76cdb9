import { latentErrorCode } from '../errors.js';

/** Buildbot's build results that a substantiation failure can lead to. */
export type SubstantiationBuildResult = 'RETRY' | 'EXCEPTION' | 'CANCELLED';

/**
 * What a master should do with a build whose `substantiate()` rejected with `error` (Buildbot's
 * `Build.startBuild`): `CANCELLED` when the user stopped the build, `EXCEPTION` (finish, do
 * not retry) for a `CANNOT_SUBSTANTIATE` error (by `code`: it may come from another copy of core), `RETRY` (unclaim the request, it is retried later) for
 * anything else: failed or refused start, timeout, crash, cancellation by a stop.
 */
export function buildResultForSubstantiationFailure(
  error: unknown,
  options: { readonly stoppedBy?: 'CANCELLED' | 'RETRY' } = {},
): SubstantiationBuildResult {
  if (options.stoppedBy) return options.stoppedBy;
  if (latentErrorCode(error) === 'CANNOT_SUBSTANTIATE') return 'EXCEPTION';
  return 'RETRY';
}
