import { ConfigurationError } from '@latentci/core';

/**
 * Credentials for Marathon: HTTP basic as `{ user, password }` or `'user:password'` (Buildbot's
 * `marathon_auth=(user, password)`), or a DC/OS authentication token sent as
 * `Authorization: token=<token>`.
 */
export type MarathonAuth = { readonly user: string; readonly password: string } | { readonly token: string } | string;

/** The `Authorization` header value and the secrets to redact, after validating `auth`. */
export interface ResolvedMarathonAuth {
  readonly header: string;
  readonly secrets: readonly string[];
}

export function resolveMarathonAuth(auth: MarathonAuth | undefined): ResolvedMarathonAuth | undefined {
  if (auth === undefined) return undefined;
  if (typeof auth === 'string') {
    const separator = auth.indexOf(':');
    if (separator <= 0) {
      throw new ConfigurationError(
        "marathonAuth must be 'user:password' (a colon after a non-empty user name), { user, password } or { token }",
      );
    }
    return basic(auth.slice(0, separator), auth.slice(separator + 1));
  }
  if (typeof auth === 'object' && auth !== null && 'token' in auth) {
    if (typeof auth.token !== 'string' || auth.token.length === 0) {
      throw new ConfigurationError('marathonAuth.token must be a non-empty DC/OS authentication token');
    }
    return { header: `token=${auth.token}`, secrets: [auth.token] };
  }
  if (typeof auth === 'object' && auth !== null && typeof auth.user === 'string' && typeof auth.password === 'string') {
    return basic(auth.user, auth.password);
  }
  throw new ConfigurationError("marathonAuth must be 'user:password', { user, password } or { token }");
}

function basic(user: string, password: string): ResolvedMarathonAuth {
  if (user.length === 0) throw new ConfigurationError('marathonAuth: the user name must not be empty');
  const encoded = Buffer.from(`${user}:${password}`).toString('base64');
  return { header: `Basic ${encoded}`, secrets: [password, encoded] };
}
