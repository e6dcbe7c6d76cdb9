import { ConfigurationError, type Logger } from '@latentci/core';
import { assertImageReference } from '@latentci/provider-utils';
import { DEFAULT_MARATHON_APP_PREFIX } from './app-definition.js';
import type { MarathonAuth } from './marathon-auth.js';
import type { MarathonRenderable } from './render-settings.js';

/** Settings of the Marathon provider; names follow Buildbot's `MarathonLatentWorker` in camelCase. */
export interface MarathonSettings {
  /** Base URL of the Marathon REST API, e.g. `http://marathon.example:8080` or `https://cluster/service/marathon`. */
  readonly marathonUrl: string;
  /** Docker image of the worker. Renderable with the build's properties. */
  readonly image: MarathonRenderable<string>;
  /** Basic credentials (`{ user, password }` or `'user:password'`) or a DC/OS token (`{ token }`). */
  readonly marathonAuth?: MarathonAuth;
  /** Deep-merged over the generated app (objects merge, everything else replaces, `null` kept). Renderable. */
  readonly marathonExtraConfig?: MarathonRenderable<Record<string, unknown>>;
  /** Prefix of the app id. Default `buildbot-worker/`. */
  readonly marathonAppPrefix?: string;
  /** Replaces the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Where warnings (failed deletes) go. Default: silent. */
  readonly logger?: Logger;
  /** Wait for the delete deployment to finish when stopping (not for fast stops). Default true. */
  readonly waitForStop?: boolean;
  /** How often to poll `/v2/deployments` while waiting, in ms. Default 1000. */
  readonly deploymentPollIntervalMs?: number;
  /** Longest wait for a deployment to finish, in ms. Default 300000. */
  readonly deploymentTimeoutMs?: number;
  /** Timeout of one HTTP request, in ms. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** Attempts of the delete-and-create within one start when Marathon answers 409/503. Default 10. */
  readonly startAttempts?: number;
  /** First backoff between attempts, in ms; doubles up to 10 s. Default 500. */
  readonly retryDelayMs?: number;
}

/** Settings with defaults applied and the URL normalised. */
export interface ResolvedMarathonSettings extends MarathonSettings {
  readonly marathonUrl: string;
  readonly marathonAppPrefix: string;
  readonly waitForStop: boolean;
  readonly deploymentPollIntervalMs: number;
  readonly deploymentTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly startAttempts: number;
  readonly retryDelayMs: number;
}

/** Validates the settings; throws `ConfigurationError` naming the setting and what is accepted. */
export function resolveMarathonSettings(settings: MarathonSettings): ResolvedMarathonSettings {
  if (typeof settings !== 'object' || settings === null)
    throw new ConfigurationError('Marathon settings must be an object');
  let url: URL;
  try {
    url = new URL(settings.marathonUrl);
  } catch {
    throw new ConfigurationError(
      `marathonUrl must be an http(s) URL such as "http://marathon.example:8080", got ${JSON.stringify(settings.marathonUrl)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError(
      `marathonUrl must use http or https, got "${url.protocol}" in ${JSON.stringify(settings.marathonUrl)}`,
    );
  }
  if (url.username || url.password) {
    throw new ConfigurationError('marathonUrl must not contain credentials: pass them as marathonAuth');
  }
  if (url.search || url.hash) throw new ConfigurationError('marathonUrl must not contain a query or a fragment');
  if (settings.image === undefined || settings.image === null || settings.image === '') {
    throw new ConfigurationError('image is required: the Docker image of the worker (a string or a renderable)');
  }
  if (typeof settings.image === 'string') assertImageReference(settings.image);
  const prefix = settings.marathonAppPrefix ?? DEFAULT_MARATHON_APP_PREFIX;
  if (typeof prefix !== 'string')
    throw new ConfigurationError('marathonAppPrefix must be a string such as "buildbot-worker/"');
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value <= 0)
      throw new ConfigurationError(`${name} must be a positive number, got ${value}`);
    return value;
  };
  const startAttempts = positive('startAttempts', settings.startAttempts, 10);
  if (!Number.isInteger(startAttempts))
    throw new ConfigurationError(`startAttempts must be an integer, got ${startAttempts}`);
  return {
    ...settings,
    marathonUrl: `${url.origin}${url.pathname.replace(/\/+$/, '')}`,
    marathonAppPrefix: prefix,
    waitForStop: settings.waitForStop ?? true,
    deploymentPollIntervalMs: positive('deploymentPollIntervalMs', settings.deploymentPollIntervalMs, 1000),
    deploymentTimeoutMs: positive('deploymentTimeoutMs', settings.deploymentTimeoutMs, 300_000),
    requestTimeoutMs: positive('requestTimeoutMs', settings.requestTimeoutMs, 30_000),
    startAttempts,
    retryDelayMs: positive('retryDelayMs', settings.retryDelayMs, 500),
  };
}
