import {
  CannotSubstantiateError,
  FailedToSubstantiateError,
  type InstanceHandle,
  type InstanceHealth,
  type Logger,
  type OrphanInstance,
  type OwnerFilter,
  type Properties,
  type ProviderV1,
  type ReapResult,
  Redactor,
  redactingLogger,
  type StartInstanceRequest,
  silentLogger,
} from '@latentci/core';
import {
  assertContainerName,
  assertImageReference,
  DockerLogDecoder,
  decodeDockerLog,
  environmentList,
  isOwnedBy,
  orphanFromLabels,
  ownerLabelFilters,
  reapEach,
  renderSetting,
} from '@latentci/provider-utils';
import { HyperApiError } from './errors.js';
import { HyperClient } from './hyper-client.js';
import { type HyperSize, invalidSizeMessage, isHyperSize, SIZE_LABEL } from './hyper-sizes.js';
import { type HyperProviderSettings, resolveHyperSettings } from './settings.js';

/** A container started on Hyper. */
export interface HyperInstance extends InstanceHandle {
  /** Container id. */
  readonly id: string;
  /** Container name (`buildbot-<worker>-<masterhash>`). */
  readonly name: string;
  /** The rendered image. */
  readonly image: string;
  /** The rendered size. */
  readonly size: HyperSize;
}

/** The rendered start settings: a running instance only takes builds that render the same. */
export interface HyperStartSettings {
  readonly image: string;
  readonly size: HyperSize;
}

interface ContainerSummary {
  readonly Id: string;
  readonly Names?: readonly string[] | null;
  readonly State?: string;
  readonly Labels?: Readonly<Record<string, string>> | null;
}

interface ContainerDetails {
  readonly State?: {
    readonly Status?: string;
    readonly Running?: boolean;
    readonly ExitCode?: number;
    readonly Error?: string;
  };
}

/** Buildbot's exact-name test: the container's names joined, `/` stripped at both ends. */
function hasExactName(container: ContainerSummary, name: string): boolean {
  return (container.Names ?? []).join('').replace(/^\/+|\/+$/g, '') === name;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(2);
}

/**
 * Creates the Hyper provider (contract v1). Nothing is sent until the first start: the settings are
 * only validated here (Buildbot's "construction creates no client").
 *
 * Start, like Buildbot's `HyperLatentWorker`: remove any container with exactly the instance's name
 * (Hyper's name filter matches prefixes, so names are compared exactly), create it with the worker
 * environment, the size label and the owner labels, start it. Stop: stop (`t=10`), wait unless
 * fast, remove with its volumes.
 */
export function createHyperProvider(settings: HyperProviderSettings): ProviderV1<HyperInstance> {
  const resolved = resolveHyperSettings(settings);
  const logger: Logger = settings.logger ?? silentLogger;
  const redactor = new Redactor();
  redactor.add(resolved.secretKey);
  const redactedLogger = redactingLogger(logger, redactor);
  const client = new HyperClient({
    baseUrl: resolved.baseUrl,
    accessKey: resolved.accessKey,
    secretKey: resolved.secretKey,
    ...(resolved.region === undefined ? {} : { region: resolved.region }),
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    ...(settings.requestTimeoutMs === undefined ? {} : { timeoutMilliseconds: settings.requestTimeoutMs }),
    redactor,
  });

  /** Log followers of running instances, by container id: aborted by the stop. */
  const followers = new Map<string, AbortController>();

  /** Reports the container's output through `request.events.log` until the stop (Hyper's `logs?follow=1`). */
  function followStartupLogs(id: string, request: StartInstanceRequest): void {
    const controller = new AbortController();
    followers.set(id, controller);
    const decoder = new DockerLogDecoder((line, stream) => request.events.log(redactor.redact(line), stream));
    const follow = async () => {
      const body = await client.stream(
        `containers/${encodeURIComponent(id)}/logs`,
        'stdout=1&stderr=1&follow=1',
        controller.signal,
      );
      const reader = body.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          decoder.push(value);
        }
        decoder.end();
      } finally {
        await reader.cancel().catch(() => {});
      }
    };
    follow()
      .catch((error: unknown) => {
        if (!controller.signal.aborted) {
          log(
            'debug',
            `${request.instanceName}: stopped following the container's output: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      })
      .finally(() => {
        if (followers.get(id) === controller) followers.delete(id);
      });
  }

  function stopFollowing(id: string): void {
    followers.get(id)?.abort();
    followers.delete(id);
  }

  /** The settings' logger, redacting the secret key and the passwords of running starts. */
  const log: Logger['log'] = (level, message, fields) => redactedLogger.log(level, message, fields);

  async function renderStartSettings(properties: Properties): Promise<HyperStartSettings> {
    const image = await renderSetting(resolved.image, properties);
    const size = await renderSetting(resolved.size, properties);
    if (typeof image !== 'string' || image.length === 0) {
      throw new CannotSubstantiateError(`image rendered to ${JSON.stringify(image)}: it must render to an image name`);
    }
    assertImageReference(image);
    if (!isHyperSize(size)) throw new CannotSubstantiateError(invalidSizeMessage(size));
    return { image, size };
  }

  async function listByName(name: string, signal: AbortSignal): Promise<ContainerSummary[]> {
    const filters = encodeURIComponent(JSON.stringify({ name: [name] }));
    const { body } = await client.json<ContainerSummary[]>('GET', 'containers/json', {
      query: `all=1&filters=${filters}`,
      signal,
    });
    return body ?? [];
  }

  /** Force-removes (with volumes) every container named exactly `name`; gone or busy containers are skipped, as in Buildbot. */
  async function removeByExactName(name: string, signal: AbortSignal): Promise<void> {
    for (const container of await listByName(name, signal)) {
      if (!hasExactName(container, name)) continue;
      const answer = await client.call('DELETE', `containers/${encodeURIComponent(container.Id)}`, {
        query: 'v=1&force=1',
        signal,
        accept: [404, 409],
      });
      if (answer.status === 409 && !answer.text.includes('Conflict operation on container')) {
        throw new HyperApiError(
          `Hyper could not remove the old container ${name} (409 ${answer.text.trim()}); remove it by hand`,
          { call: `DELETE /v1.23/containers/${container.Id}`, status: 409, body: answer.text.trim() },
        );
      }
      log('debug', `${name}: removed an old container with the same name`, { id: container.Id });
    }
  }

  async function startInstance(
    request: StartInstanceRequest,
    { signal }: { signal: AbortSignal },
  ): Promise<HyperInstance> {
    redactor.add(request.password);
    const began = performance.now();
    const { image, size } = await renderStartSettings(request.properties);
    const name = request.instanceName;
    assertContainerName(name, request.workerName);
    await removeByExactName(name, signal);
    const cleaned = seconds(began);
    signal.throwIfAborted();
    // The create is not aborted half-way: Hyper would finish it anyway, after the cleanup of the
    // stop that follows an abort had looked for it. Finish it, then remove what it made.
    const { body: created } = await client.json<{ Id?: string }>('POST', 'containers/create', {
      query: `name=${encodeURIComponent(name)}`,
      json: {
        Tty: false,
        OpenStdin: false,
        StdinOnce: false,
        AttachStdin: false,
        AttachStdout: true,
        AttachStderr: true,
        Env: environmentList(request.environment),
        Image: image,
        NetworkDisabled: false,
        Labels: { ...request.labels, [SIZE_LABEL]: size },
      },
      signal: new AbortController().signal,
    });
    const id = created?.Id;
    if (typeof id !== 'string' || id.length === 0) throw new FailedToSubstantiateError('Failed to start container');
    if (signal.aborted) {
      await client.call('DELETE', `containers/${encodeURIComponent(id)}`, {
        query: 'v=1&force=1',
        signal: new AbortController().signal,
        accept: [404],
      });
      signal.throwIfAborted();
    }
    const createdAt = seconds(began);
    await client.call('POST', `containers/${encodeURIComponent(id)}/start`, { signal });
    followStartupLogs(id, request);
    log('debug', `${name}:${id.slice(0, 6)}: Container started in ${seconds(began)}`, {
      clean: cleaned,
      create: createdAt,
      image,
      size,
    });
    return { id, name, image, size };
  }

  async function stopInstance(
    target: { readonly request: StartInstanceRequest; readonly instance?: HyperInstance },
    options: { fast: boolean; signal: AbortSignal },
  ): Promise<void> {
    try {
      await stopAndRemove(target, options);
    } finally {
      // This start's password cannot show up in this provider's output any more.
      redactor.delete(target.request.password);
    }
  }

  async function stopAndRemove(
    target: { readonly request: StartInstanceRequest; readonly instance?: HyperInstance },
    { fast, signal }: { fast: boolean; signal: AbortSignal },
  ): Promise<void> {
    const instance = target.instance;
    if (!instance) {
      await removeByExactName(target.request.instanceName, signal);
      return;
    }
    stopFollowing(instance.id);
    const began = performance.now();
    const label = `${instance.name}:${instance.id.slice(0, 6)}`;
    log('debug', `${label}: Stopping container`);
    const stopped = await client.call('POST', `containers/${encodeURIComponent(instance.id)}/stop`, {
      query: 't=10',
      signal,
      accept: [404],
    });
    if (stopped.status === 404) {
      log('warn', `${label}: container was already deleted!`);
      return;
    }
    if (!fast)
      await client.call('POST', `containers/${encodeURIComponent(instance.id)}/wait`, { signal, accept: [404] });
    await client.call('DELETE', `containers/${encodeURIComponent(instance.id)}`, {
      query: 'v=1&force=1',
      signal,
      accept: [404],
    });
    log('debug', `${label}: Stopped container in ${seconds(began)}`);
  }

  async function checkInstance(instance: HyperInstance, { signal }: { signal: AbortSignal }): Promise<InstanceHealth> {
    const { status, body } = await client.json<ContainerDetails>(
      'GET',
      `containers/${encodeURIComponent(instance.id)}/json`,
      {
        signal,
        accept: [404],
      },
    );
    if (status === 404) return { healthy: false, message: `container ${instance.name} no longer exists on Hyper` };
    const state = body?.State;
    if (state?.Running || (state?.Status !== 'exited' && state?.Status !== 'dead')) return { healthy: true };
    const exitCode = state.ExitCode ?? 'unknown';
    let output = '';
    try {
      const logs = await client.call('GET', `containers/${encodeURIComponent(instance.id)}/logs`, {
        query: 'stdout=1&stderr=1&tail=100',
        signal,
      });
      output = decodeDockerLog(logs.bytes).trimEnd();
    } catch (error) {
      output = `(logs unavailable: ${error instanceof Error ? error.message : String(error)})`;
    }
    const reason = state.Error ? ` (${state.Error})` : '';
    return {
      healthy: false,
      message: redactor.redact(
        `container ${instance.name} exited with code ${exitCode}${reason}${output ? `; last log lines:\n${output}` : ''}`,
      ),
    };
  }

  async function listOrphans(owner: OwnerFilter, { signal }: { signal: AbortSignal }): Promise<OrphanInstance[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: ownerLabelFilters(owner) }));
    const { body } = await client.json<ContainerSummary[]>('GET', 'containers/json', {
      query: `all=1&filters=${filters}`,
      signal,
    });
    return (body ?? [])
      .filter((container) => isOwnedBy(container.Labels, owner))
      .map((container) =>
        orphanFromLabels(owner, {
          id: container.Id,
          name: (container.Names ?? [])[0]?.replace(/^\//, ''),
          labels: container.Labels,
          state: container.State,
        }),
      );
  }

  async function reapOrphans(owner: OwnerFilter, options: { signal: AbortSignal }): Promise<ReapResult> {
    return reapEach(
      await listOrphans(owner, options),
      async (instance, signal) => {
        stopFollowing(instance.id);
        await client.call('DELETE', `containers/${encodeURIComponent(instance.id)}`, {
          query: 'v=1&force=1',
          signal,
          accept: [404],
        });
      },
      options,
    );
  }

  return {
    specificationVersion: 'v1',
    provider: 'hyper',
    capabilities: { healthCheck: true, perBuildSettings: true, orphanReaping: true, startupLogs: true },
    startInstance,
    stopInstance,
    checkInstance,
    renderStartSettings,
    listOrphans,
    reapOrphans,
  };
}
