import {
  BackendError,
  ConfigurationError,
  FailedToSubstantiateError,
  type InstanceHandle,
  type InstanceHealth,
  isAbortError,
  type Logger,
  type OrphanInstance,
  type OwnerFilter,
  type ProviderV1,
  type ReapResult,
  Redactor,
  redactingLogger,
  type SignalOptions,
  type StartInstanceRequest,
  type StopOptions,
  type StopTarget,
  silentLogger,
} from '@latentci/core';
import { abortableSleep, isOwnedBy, orphanFromLabels, reapEach } from '@latentci/provider-utils';
import { marathonAppDefinition, marathonAppId } from './app-definition.js';
import { MarathonAppRejectedError, type MarathonViolation } from './errors.js';
import { resolveMarathonAuth } from './marathon-auth.js';
import { MarathonClient, type MarathonResponse, MarathonUnreachableError, marathonMessage } from './marathon-client.js';
import {
  appPath,
  authenticationError,
  isAuthenticationFailure,
  isTooManyDeployments,
  lockingDeployments,
  waitForDeployments,
} from './marathon-operations.js';
import { renderMarathonSettings } from './render-settings.js';
import { type MarathonSettings, resolveMarathonSettings } from './settings.js';

/** A started Marathon app, as the provider hands it to the core. */
export interface MarathonInstance extends InstanceHandle {
  /** The absolute app id, e.g. `/buildbot-worker/buildbot-bot-1a2b3c`. */
  readonly id: string;
  /** The instance name (last segment of the id). */
  readonly name: string;
  /** The app version Marathon assigned at creation (ISO-8601); failures of older versions are ignored. */
  readonly version: string;
  /** The deployment that creates the app. */
  readonly deploymentId: string;
}

const TASK_FAILURE_STATES = new Set([
  'TASK_FAILED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_KILLED',
]);
const MAX_RETRY_DELAY = 10_000;

/**
 * The Marathon provider: runs each worker as a one-instance Docker app (`POST /v2/apps`), as
 * Buildbot's `MarathonLatentWorker` does, and fixes its gaps: it waits for the deletion of a
 * previous app before creating the new one and retries Marathon's 409 "locked by deployment" and
 * 503 within the start, reports 422 validation details and credential failures as typed errors,
 * detects failed tasks through `checkInstance`, and labels apps so orphans can be reaped.
 */
export function createMarathonProvider(settings: MarathonSettings): ProviderV1<MarathonInstance> {
  const resolved = resolveMarathonSettings(settings);
  const auth = resolveMarathonAuth(resolved.marathonAuth);
  const logger: Logger = resolved.logger ?? silentLogger;
  const client = new MarathonClient({
    url: resolved.marathonUrl,
    requestTimeout: resolved.requestTimeoutMs,
    ...(auth ? { authorization: auth.header } : {}),
    ...(resolved.fetch ? { fetch: resolved.fetch } : {}),
  });
  const baseRedactor = new Redactor();
  for (const secret of auth?.secrets ?? []) baseRedactor.add(secret);
  /** The settings' logger, redacting the credentials (each start's own adds its password). */
  const providerLogger = redactingLogger(logger, baseRedactor);
  const waitOptions = (signal: AbortSignal, timeout = resolved.deploymentTimeoutMs) => ({
    signal,
    pollInterval: resolved.deploymentPollIntervalMs,
    timeout,
  });

  function redactorFor(request?: StartInstanceRequest): Redactor {
    if (!request) return baseRedactor;
    const redactor = new Redactor();
    for (const secret of auth?.secrets ?? []) redactor.add(secret);
    redactor.add(request.password);
    return redactor;
  }

  function appIdOf(target: { instance?: MarathonInstance; request: StartInstanceRequest }): string {
    return target.instance?.id ?? marathonAppId(target.request.instanceName, resolved.marathonAppPrefix);
  }

  /** DELETE with force; resolves the deployment to wait for (none when the app did not exist). */
  async function deleteApp(
    appId: string,
    signal: AbortSignal,
  ): Promise<{ response: MarathonResponse; deploymentId?: string }> {
    const response = await client.request('DELETE', appPath(appId), { searchParams: { force: 'true' }, signal });
    const deploymentId = (response.body as { deploymentId?: unknown } | undefined)?.deploymentId;
    return typeof deploymentId === 'string' && response.status === 200 ? { response, deploymentId } : { response };
  }

  async function startInstance(request: StartInstanceRequest, { signal }: SignalOptions): Promise<MarathonInstance> {
    const redactor = redactorFor(request);
    const rendered = await renderMarathonSettings(resolved, request.properties);
    if (typeof rendered.image !== 'string' || rendered.image.length === 0) {
      throw new ConfigurationError(`image must render to a non-empty string, got ${JSON.stringify(rendered.image)}`);
    }
    const definition = marathonAppDefinition({
      image: rendered.image,
      instanceName: request.instanceName,
      environment: request.environment,
      labels: request.labels,
      marathonAppPrefix: resolved.marathonAppPrefix,
      ...(rendered.marathonExtraConfig !== undefined ? { marathonExtraConfig: rendered.marathonExtraConfig } : {}),
    });
    const appId = definition.id as string;
    let delay = resolved.retryDelayMs;
    let lastProblem = '';
    const backoff = async (problem: string) => {
      lastProblem = problem;
      request.events.progress({ phase: 'deploy', status: `retrying: ${redactor.redact(problem)}` });
      await abortableSleep(delay, signal);
      delay = Math.min(delay * 2, MAX_RETRY_DELAY);
    };

    for (let attempt = 1; attempt <= resolved.startAttempts; attempt += 1) {
      try {
        // 1. Remove a leftover app of the same id and wait until its StopApplication deployment is
        //    gone: posting at once (as Buildbot does) races with it and gets 409 AppLocked.
        request.events.progress({ phase: 'deploy', status: `deleting any previous app ${appId}` });
        const deleted = await deleteApp(appId, signal);
        if (isAuthenticationFailure(deleted.response))
          throw authenticationError(client, deleted.response, `delete app ${appId}`);
        if (deleted.response.status >= 500 || isTooManyDeployments(deleted.response)) {
          await backoff(`DELETE ${appId}: ${deleted.response.status} ${marathonMessage(deleted.response)}`);
          continue;
        }
        if (deleted.deploymentId) {
          request.events.progress({
            phase: 'deploy',
            status: `waiting for deployment ${deleted.deploymentId} (deletion of ${appId})`,
          });
          if (!(await waitForDeployments(client, [deleted.deploymentId], waitOptions(signal)))) {
            throw new FailedToSubstantiateError(
              `Marathon did not finish deleting the previous app ${appId} (deployment ${deleted.deploymentId}) within ${resolved.deploymentTimeoutMs} ms; check the Marathon UI for a stuck deployment`,
            );
          }
        }

        // 2. Create the app.
        request.events.progress({ phase: 'deploy', status: `creating app ${appId}` });
        // The POST is not cut short by an abort: once sent, Marathon may create the app, and the stop
        // that follows an aborted start must find it. The abort is honoured as soon as it answers.
        const created = await client.request('POST', 'v2/apps', {
          json: definition,
          signal: new AbortController().signal,
        });
        signal.throwIfAborted();
        if (created.status === 201) {
          const body = (created.body ?? {}) as { version?: unknown; deployments?: { id?: unknown }[] };
          const deploymentId =
            created.headers.get('marathon-deployment-id') ??
            (typeof body.deployments?.[0]?.id === 'string' ? body.deployments[0].id : '');
          request.events.progress({ phase: 'deploy', status: `app ${appId} created (deployment ${deploymentId})` });
          return {
            id: appId,
            name: request.instanceName,
            version: typeof body.version === 'string' ? body.version : new Date().toISOString(),
            deploymentId,
          };
        }
        if (isAuthenticationFailure(created)) throw authenticationError(client, created, `create app ${appId}`);
        if (REJECTED_REQUEST_STATUSES.has(created.status)) throw rejectedError(appId, created, redactor);
        if (created.status === 409) {
          const locks = lockingDeployments(created);
          lastProblem = `POST ${appId}: 409 ${marathonMessage(created)}`;
          if (locks.length > 0) {
            request.events.progress({
              phase: 'deploy',
              status: `app ${appId} is locked by deployment ${locks.join(', ')}; waiting`,
            });
            if (!(await waitForDeployments(client, locks, waitOptions(signal)))) await backoff(lastProblem);
          } else {
            await backoff(lastProblem);
          }
          continue;
        }
        if (
          created.status === 503 ||
          created.status === 502 ||
          created.status === 504 ||
          isTooManyDeployments(created)
        ) {
          await backoff(`POST ${appId}: ${created.status} ${marathonMessage(created)}`);
          continue;
        }
        throw new FailedToSubstantiateError(
          redactor.redact(`Unable to create Marathon app ${appId}: ${created.status}: ${marathonMessage(created)}`),
        );
      } catch (error) {
        if (error instanceof MarathonUnreachableError) {
          if (attempt === resolved.startAttempts) {
            throw new FailedToSubstantiateError(redactor.redact(error.message), { cause: error });
          }
          await backoff(error.message);
          continue;
        }
        throw error;
      }
    }
    throw new FailedToSubstantiateError(
      redactor.redact(
        `Unable to create Marathon app ${appId} after ${resolved.startAttempts} attempts; last answer: ${lastProblem}`,
      ),
    );
  }

  async function stopInstance(target: StopTarget<MarathonInstance>, { fast, signal }: StopOptions): Promise<void> {
    const appId = appIdOf(target);
    const redactor = redactorFor(target.request);
    // Buildbot's behaviour: a failed delete is reported (log and event), never thrown.
    const report = (problem: string, fields: Record<string, unknown> = {}) => {
      redactingLogger(logger, redactor).log('warn', problem, { appId, ...fields });
      target.request.events.progress({ phase: 'delete', status: redactor.redact(problem) });
    };
    try {
      const deleted = await deleteApp(appId, signal);
      if (deleted.response.status === 404) return;
      if (deleted.response.status !== 200) {
        report(
          `Unable to delete Marathon app ${appId}: ${deleted.response.status}: ${marathonMessage(deleted.response)}`,
          {
            status: deleted.response.status,
          },
        );
        return;
      }
      if (fast || !resolved.waitForStop || !deleted.deploymentId) return;
      target.request.events.progress({
        phase: 'delete',
        status: `waiting for deployment ${deleted.deploymentId} (deletion of ${appId})`,
      });
      if (!(await waitForDeployments(client, [deleted.deploymentId], waitOptions(signal)))) {
        report(
          `Marathon did not finish deleting app ${appId} (deployment ${deleted.deploymentId}) within ${resolved.deploymentTimeoutMs} ms`,
        );
      }
    } catch (error) {
      if (isAbortError(error) || signal.aborted) throw error;
      report(`Unable to delete Marathon app ${appId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async function checkInstance(instance: MarathonInstance, { signal }: SignalOptions): Promise<InstanceHealth> {
    let response: MarathonResponse;
    try {
      response = await client.request('GET', appPath(instance.id), { signal });
    } catch (error) {
      if (error instanceof MarathonUnreachableError) {
        // Marathon itself is unreachable: the app's health is unknown, keep waiting (missingTimeout bounds it).
        providerLogger.log('debug', `health check of Marathon app ${instance.id} skipped: ${error.message}`, {
          appId: instance.id,
        });
        return { healthy: true };
      }
      throw error;
    }
    if (isAuthenticationFailure(response)) throw authenticationError(client, response, `read app ${instance.id}`);
    if (response.status === 404) {
      return {
        healthy: false,
        message: `Marathon app ${instance.id} does not exist any more (deleted outside latentci?)`,
      };
    }
    if (response.status !== 200) return { healthy: true };
    const app = (response.body as { app?: AppStatus } | undefined)?.app;
    const failure = app?.lastTaskFailure;
    if (failure && (failure.version === undefined || failure.version >= instance.version)) {
      return {
        healthy: false,
        message: `Marathon task ${failure.taskId ?? '?'} of ${instance.id} ${failure.state ?? 'failed'}${failure.host ? ` on ${failure.host}` : ''}: ${failure.message ?? '(no message)'}`,
      };
    }
    const dead = app?.tasks?.find((task) => task.state !== undefined && TASK_FAILURE_STATES.has(task.state));
    if (dead) return { healthy: false, message: `Marathon task ${dead.id ?? '?'} of ${instance.id} is ${dead.state}` };
    return { healthy: true };
  }

  async function listOrphans(owner: OwnerFilter, { signal }: SignalOptions): Promise<OrphanInstance[]> {
    const prefix = marathonAppId('', resolved.marathonAppPrefix);
    const response = await client.request('GET', 'v2/apps', {
      searchParams: { id: prefix, embed: 'apps.tasks' },
      signal,
    });
    if (isAuthenticationFailure(response)) throw authenticationError(client, response, 'list apps');
    if (response.status !== 200) {
      throw new BackendError(
        `Unable to list Marathon apps under ${prefix}: ${response.status}: ${marathonMessage(response)}`,
      );
    }
    const apps = ((response.body as { apps?: AppStatus[] } | undefined)?.apps ?? []).filter(
      (app): app is AppStatus & { id: string } => typeof app.id === 'string',
    );
    return apps
      .filter((app) => app.id.startsWith(prefix) && isOwnedBy(app.labels, owner))
      .map((app) =>
        orphanFromLabels(owner, {
          id: app.id,
          name: app.id.split('/').at(-1) ?? app.id,
          labels: app.labels,
          state: (app.tasksRunning ?? 0) > 0 ? 'running' : (app.deployments?.length ?? 0) > 0 ? 'deploying' : 'waiting',
        }),
      );
  }

  async function reapOrphans(owner: OwnerFilter, options: SignalOptions): Promise<ReapResult> {
    return reapEach(
      await listOrphans(owner, options),
      async (orphan, signal) => {
        const deleted = await deleteApp(orphan.id, signal);
        if (deleted.response.status !== 200 && deleted.response.status !== 404) {
          throw new Error(`${deleted.response.status}: ${marathonMessage(deleted.response)}`);
        }
      },
      options,
    );
  }

  return {
    specificationVersion: 'v1',
    provider: 'marathon',
    capabilities: { healthCheck: true, perBuildSettings: true, orphanReaping: true, startupLogs: false },
    startInstance,
    stopInstance,
    checkInstance,
    renderStartSettings: (properties) => renderMarathonSettings(resolved, properties),
    listOrphans,
    reapOrphans,
  };
}

interface AppStatus {
  id?: string;
  labels?: Record<string, string>;
  tasksRunning?: number;
  deployments?: unknown[];
  tasks?: { id?: string; state?: string }[];
  lastTaskFailure?: { taskId?: string; state?: string; host?: string; message?: string; version?: string };
}

/**
 * Answers about the request itself (422 invalid app, 400 bad JSON or value, 413/414/431 too large):
 * a setting's value, not Marathon's state. Retrying cannot help.
 */
const REJECTED_REQUEST_STATUSES = new Set([400, 413, 414, 422, 431]);

function rejectedError(appId: string, response: MarathonResponse, redactor: Redactor): MarathonAppRejectedError {
  const raw = (response.body as { details?: unknown } | undefined)?.details;
  const details: MarathonViolation[] = Array.isArray(raw)
    ? raw.map((detail) => ({
        path: String((detail as { path?: unknown }).path ?? ''),
        errors: ((detail as { errors?: unknown }).errors as unknown[] | undefined)?.map(String) ?? [],
      }))
    : typeof raw === 'string'
      ? [{ path: '', errors: [raw] }]
      : [];
  const listed = details.map((detail) => `${detail.path || '/'}: ${detail.errors.join(', ')}`).join('; ');
  return new MarathonAppRejectedError(
    redactor.redact(
      `Marathon rejected the app definition of ${appId} (${response.status} ${marathonMessage(response)})${listed ? `: ${listed}` : ''}. Fix image, marathonExtraConfig or marathonAppPrefix`,
    ),
    details,
  );
}
