import { abortableSleep } from '@latentci/provider-utils';
import { MarathonAuthenticationError } from './errors.js';
import { type MarathonClient, type MarathonResponse, marathonMessage } from './marathon-client.js';

/** Path of an app below the base URL: `v2/apps/<segments>` (ids are absolute, `/` kept between segments). */
export function appPath(appId: string, suffix = ''): string {
  const segments = appId
    .split('/')
    .filter((segment) => segment !== '')
    .map(encodeURIComponent);
  return `v2/apps/${segments.join('/')}${suffix}`;
}

/** True when Marathon refused the credentials; 403 "Max number … of running deployments" is not an auth problem. */
export function isAuthenticationFailure(response: MarathonResponse): boolean {
  if (response.status === 401) return true;
  return response.status === 403 && !isTooManyDeployments(response);
}

/** Marathon's 403 for `--max_running_deployments` (a capacity limit, worth retrying). */
export function isTooManyDeployments(response: MarathonResponse): boolean {
  return response.status === 403 && /running deployments/i.test(marathonMessage(response));
}

/** The typed error for a 401/403, saying what to check. Never contains the credentials. */
export function authenticationError(
  client: MarathonClient,
  response: MarathonResponse,
  action: string,
): MarathonAuthenticationError {
  const challenge = response.headers.get('www-authenticate');
  return new MarathonAuthenticationError(
    `Marathon at ${client.url} refused the request to ${action} (${response.status} ${marathonMessage(response)}${
      challenge ? `; WWW-Authenticate: ${challenge}` : ''
    }): check marathonAuth (basic user and password, or the DC/OS token) and that this account may manage apps`,
    response.status,
  );
}

/** Deployment ids a 409 AppLocked answer names. */
export function lockingDeployments(response: MarathonResponse): string[] {
  const deployments = (response.body as { deployments?: unknown } | undefined)?.deployments;
  if (!Array.isArray(deployments)) return [];
  return deployments.flatMap((deployment) =>
    typeof deployment === 'object' && deployment !== null && typeof (deployment as { id?: unknown }).id === 'string'
      ? [(deployment as { id: string }).id]
      : [],
  );
}

export interface WaitOptions {
  readonly signal: AbortSignal;
  readonly pollInterval: number;
  readonly timeout: number;
}

/**
 * Polls `GET /v2/deployments` until none of `ids` is listed. Resolves `true` when they are gone,
 * `false` when `timeout` passed first. Throws on 401/403 and when Marathon cannot be reached.
 */
export async function waitForDeployments(
  client: MarathonClient,
  ids: readonly string[],
  options: WaitOptions,
): Promise<boolean> {
  if (ids.length === 0) return true;
  const deadline = Date.now() + options.timeout;
  for (;;) {
    const response = await client.request('GET', 'v2/deployments', { signal: options.signal });
    if (isAuthenticationFailure(response)) throw authenticationError(client, response, 'list deployments');
    if (response.status === 200 && Array.isArray(response.body)) {
      const running = new Set(
        response.body
          .map((deployment) => (deployment as { id?: unknown } | null)?.id)
          .filter((id) => typeof id === 'string'),
      );
      if (!ids.some((id) => running.has(id))) return true;
    }
    if (Date.now() >= deadline) return false;
    await abortableSleep(options.pollInterval, options.signal);
  }
}
