import { ConfigurationError } from '@latentci/core';
import { appIdErrors } from './app-id.js';
import { deepMerge, isPlainObject } from './deep-merge.js';

/** Buildbot's default `marathon_app_prefix`. */
export const DEFAULT_MARATHON_APP_PREFIX = 'buildbot-worker/';

export interface MarathonAppDefinitionInput {
  /** The rendered Docker image. */
  readonly image: string;
  /** The instance name (`buildbot-<worker>-<masterhash>`), the last part of the app id. */
  readonly instanceName: string;
  /** The worker environment (the five `BUILDMASTER*`/`WORKER*` variables). */
  readonly environment: Readonly<Record<string, string>>;
  /** Labels for the app (`io.latentci.*` ownership labels). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Prefix of the app id. Default `buildbot-worker/`. */
  readonly marathonAppPrefix?: string;
  /** The rendered extra config, deep-merged over the generated app (objects merge, everything else replaces, `null` kept). */
  readonly marathonExtraConfig?: Readonly<Record<string, unknown>>;
}

/** The app id the provider uses: `/` + prefix + instance name, as Buildbot (which omits the leading `/`). */
export function marathonAppId(instanceName: string, marathonAppPrefix = DEFAULT_MARATHON_APP_PREFIX): string {
  return `/${marathonAppPrefix.replace(/^\/+/, '')}${instanceName}`;
}

/**
 * Throws a `ConfigurationError` unless `appId` satisfies Marathon's id rules:
 * lower-case letters, digits, `-` and `.` between labels, `/` between segments.
 */
export function assertValidAppId(appId: string, instanceName: string, marathonAppPrefix: string): void {
  const errors = appIdErrors(appId);
  if (errors.length === 0) return;
  throw new ConfigurationError(
    `the Marathon app id "${appId}" (marathonAppPrefix "${marathonAppPrefix}" + instance name "${instanceName}") is not a valid Marathon id: it ${errors.join('; it ')}. ` +
      'Marathon ids are "/"-separated segments of lower-case letters, digits, "-" and "." (no upper case, no "_", no leading or trailing "-"): rename the worker or change marathonAppPrefix',
  );
}

/**
 * The exact app JSON the provider posts to `POST /v2/apps`: Buildbot's one-instance Docker app
 * `{ id, instances: 1, container: { type: 'DOCKER', docker: { image, network: 'BRIDGE' } }, env, labels }`
 * with `marathonExtraConfig` deep-merged over it. Throws `ConfigurationError` for an invalid id
 * or an extra config that is not an object or that changes `id`.
 */
export function marathonAppDefinition(input: MarathonAppDefinitionInput): Record<string, unknown> {
  const prefix = input.marathonAppPrefix ?? DEFAULT_MARATHON_APP_PREFIX;
  const id = marathonAppId(input.instanceName, prefix);
  assertValidAppId(id, input.instanceName, prefix);
  const generated: Record<string, unknown> = {
    id,
    instances: 1,
    container: { type: 'DOCKER', docker: { image: input.image, network: 'BRIDGE' } },
    env: { ...input.environment },
    labels: { ...(input.labels ?? {}) },
  };
  const extra = input.marathonExtraConfig;
  if (extra === undefined) return generated;
  if (!isPlainObject(extra)) {
    throw new ConfigurationError(
      `marathonExtraConfig must render to a plain object, got ${Array.isArray(extra) ? 'an array' : typeof extra}`,
    );
  }
  if (Object.hasOwn(extra, 'id')) {
    throw new ConfigurationError(
      'marathonExtraConfig must not set "id": the provider names the app itself (use marathonAppPrefix to change where it lives)',
    );
  }
  return deepMerge(generated, extra);
}
