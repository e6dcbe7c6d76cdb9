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
  type Properties,
  type ProviderCapabilities,
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
import {
  assertContainerName,
  assertImageReference,
  decodeDockerLog,
  engineMessage,
  engineStatusCode,
  environmentList,
  followInBackground,
  isNotFound,
  type LogFollow,
  orphanFromLabels,
  ownerLabelFilters,
  reapEach,
  renderSetting,
} from '@latentci/provider-utils';
import type Dockerode from 'dockerode';
import { findContainersByExactName, removeContainer } from './container-lookup.js';
import { createDockerClient, defaultDockerHost, loadTls, tlsFromEnvironment } from './docker-connection.js';
import { translateEngineError } from './engine-errors.js';
import { WrongImagePlatformError } from './errors.js';
import { hasInitSetting, toEngineHostConfig } from './host-config.js';
import { generatedImageName, prepareImage } from './image-preparation.js';
import { type DockerProviderSettings, type ValidatedDockerSettings, validateDockerSettings } from './settings.js';
import { followContainerOutput } from './startup-log-follower.js';
import { parseVolumes } from './volumes.js';

/** The handle of a started container, passed back to `stopInstance` and `checkInstance`. */
export interface DockerInstance extends InstanceHandle {
  /** Container id. */
  readonly id: string;
  /** Container name (`buildbot-<worker>-<masterhash>`). */
  readonly name: string;
  /** The image it runs (as given or generated). */
  readonly image: string;
  /** The engine it runs on (rendered `dockerHost`), so that stop and checks reach the same engine. */
  readonly dockerHost: string;
}

/** Every start-relevant setting rendered for one build: compared structurally for build compatibility. */
export interface RenderedDockerSettings {
  readonly dockerHost: string;
  readonly image: string | null;
  readonly dockerfile: string | null;
  readonly volumes: readonly string[];
  readonly hostconfig: Readonly<Record<string, unknown>>;
  readonly customContext: boolean;
  readonly encoding: string;
  readonly target: string | null;
  readonly buildargs: Readonly<Record<string, string>> | null;
  readonly hostname: string | null;
}

/** What the Docker provider implements beyond start and stop: all of it. */
export const DOCKER_CAPABILITIES: ProviderCapabilities = {
  healthCheck: true,
  perBuildSettings: true,
  orphanReaping: true,
  startupLogs: true,
};

/** Number of log lines a failed health check reports (Buildbot's `tail=100`). */
export const HEALTH_CHECK_LOG_LINES = 100;

const OS_MISMATCH = 'The container operating system does not match the host operating system';

function describeClient(docker: Dockerode): string {
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  if (typeof modem.socketPath === 'string') return `unix://${modem.socketPath}`;
  if (typeof modem.host === 'string')
    return `${String(modem.protocol ?? 'http')}://${modem.host}:${String(modem.port ?? '')}`;
  return 'the given dockerode client';
}

function expectString(name: string, value: unknown, optional: boolean): string | null {
  if (value === undefined || value === null) {
    if (optional) return null;
    throw new ConfigurationError(`${name} rendered to nothing: it must render to a non-empty string`, {
      retryable: true,
    });
  }
  if (typeof value !== 'string') {
    throw new ConfigurationError(`${name} must render to a string, got ${JSON.stringify(value)}`, { retryable: true });
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The Docker provider (contract v1). Create it with {@link createDockerProvider}. */
export class DockerProvider implements ProviderV1<DockerInstance> {
  readonly specificationVersion = 'v1' as const;
  readonly provider = 'docker';
  readonly capabilities = DOCKER_CAPABILITIES;
  readonly #settings: ValidatedDockerSettings;
  readonly #logger: Logger;
  readonly #clients = new Map<string, Dockerode>();
  readonly #follows = new Map<string, LogFollow>();
  /** Per running instance: redacts its worker password from health-check messages (container logs). */
  readonly #redactors = new Map<string, Redactor>();

  constructor(settings: DockerProviderSettings) {
    this.#settings = validateDockerSettings(settings);
    this.#logger = settings.logger ?? silentLogger;
  }

  /** Renders every start-relevant setting with a build's properties (Buildbot's `renderWorkerProps`). */
  async renderStartSettings(properties: Properties): Promise<RenderedDockerSettings> {
    const settings = this.#settings;
    const dockerHost = settings.docker
      ? describeClient(settings.docker)
      : settings.dockerHost === undefined
        ? defaultDockerHost()
        : expectString('dockerHost', await renderSetting(settings.dockerHost, properties), false);
    const image = expectString('image', await renderSetting(settings.image, properties), true);
    if (image !== null && (image !== '' || settings.dockerfile === undefined)) assertImageReference(image);
    const dockerfile = expectString('dockerfile', await renderSetting(settings.dockerfile, properties), true);
    const volumes = await renderSetting(settings.volumes, properties);
    if (!Array.isArray(volumes) || !volumes.every((volume) => typeof volume === 'string')) {
      throw new ConfigurationError(`volumes must render to a list of strings, got ${JSON.stringify(volumes)}`, {
        retryable: true,
      });
    }
    const hostconfig = await renderSetting(settings.hostconfig, properties);
    if (!isPlainObject(hostconfig)) {
      throw new ConfigurationError(`hostconfig must render to a mapping, got ${JSON.stringify(hostconfig)}`, {
        retryable: true,
      });
    }
    const customContext = await renderSetting(settings.customContext, properties);
    const encoding = expectString('encoding', await renderSetting(settings.encoding, properties), false) ?? 'gzip';
    const buildargs = await renderSetting(settings.buildargs, properties);
    if (buildargs !== undefined && buildargs !== null && !isPlainObject(buildargs)) {
      throw new ConfigurationError(`buildargs must render to a mapping, got ${JSON.stringify(buildargs)}`, {
        retryable: true,
      });
    }
    return {
      dockerHost: dockerHost ?? defaultDockerHost(),
      image: image === '' ? null : image,
      dockerfile,
      volumes: volumes as string[],
      hostconfig,
      customContext: customContext === true,
      encoding,
      target: expectString('target', await renderSetting(settings.target, properties), true) || null,
      buildargs: buildargs
        ? Object.fromEntries(Object.entries(buildargs).map(([name, value]) => [name, String(value)]))
        : null,
      hostname: expectString('hostname', await renderSetting(settings.hostname, properties), true),
    };
  }

  #client(dockerHost: string): Dockerode {
    if (this.#settings.docker) return this.#settings.docker;
    let client = this.#clients.get(dockerHost);
    if (!client) {
      const tls =
        this.#settings.tls ?? (this.#settings.dockerHost === undefined ? loadTls(tlsFromEnvironment()) : undefined);
      client = createDockerClient(dockerHost, tls, this.#settings.version);
      this.#clients.set(dockerHost, client);
    }
    return client;
  }

  #imageFor(rendered: RenderedDockerSettings, instanceName: string): { image: string; generated: boolean } {
    if (rendered.image !== null) return { image: rendered.image, generated: false };
    const buildInput = [rendered.dockerfile, rendered.customContext, rendered.target, rendered.buildargs];
    return { image: generatedImageName(instanceName, buildInput), generated: true };
  }

  async startInstance(request: StartInstanceRequest, { signal }: SignalOptions): Promise<DockerInstance> {
    signal.throwIfAborted();
    const redactor = new Redactor();
    redactor.add(request.password);
    const logger = redactingLogger(this.#logger, redactor);
    try {
      return await this.#start(request, signal, logger, redactor);
    } catch (error) {
      // The contract: an aborted start rejects with the signal's reason (dockerode throws its own AbortError).
      if (signal.aborted) throw signal.reason;
      throw redactor.redactError(error);
    }
  }

  async #start(
    request: StartInstanceRequest,
    signal: AbortSignal,
    logger: Logger,
    redactor: Redactor,
  ): Promise<DockerInstance> {
    // What can be checked here is checked before the first request to the engine.
    assertContainerName(request.instanceName, request.workerName);
    const rendered = await this.renderStartSettings(request.properties);
    const { containerPaths, binds } = parseVolumes(rendered.volumes, true);
    const hostConfig = toEngineHostConfig(rendered.hostconfig, true);
    const dockerHost = rendered.dockerHost;
    const docker = this.#client(dockerHost);
    const name = request.instanceName;
    const engine = async <T>(action: string, call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        throw translateEngineError(error, dockerHost, action);
      }
    };

    // Buildbot removes a previous container with the same name, then finds (builds, pulls) the
    // image. The two are independent: they run concurrently, and both finish before any error counts.
    const removingPrevious = engine(`remove the previous container named ${name}`, async () => {
      for (const previous of await findContainersByExactName(docker, name, signal)) {
        logger.log('info', `Removing previous container ${name} (${previous.Id.slice(0, 12)})`);
        await removeContainer(docker, previous.Id, signal);
      }
    });
    const { image } = this.#imageFor(rendered, name);
    const preparingImage = prepareImage(
      {
        image,
        dockerfile: rendered.dockerfile ?? undefined,
        customContext: rendered.customContext,
        buildargs: rendered.buildargs ?? undefined,
        target: rendered.target ?? undefined,
        autopull: this.#settings.autopull,
        alwaysPull: this.#settings.alwaysPull,
      },
      { docker, dockerHost, events: request.events, logger, labels: request.labels, signal },
    );
    const [removed, prepared] = await Promise.allSettled([removingPrevious, preparingImage]);
    if (removed.status === 'rejected') throw removed.reason;
    if (prepared.status === 'rejected') throw prepared.reason;
    const reference = prepared.value;

    hostConfig.Binds = [...(hostConfig.Binds ?? []), ...binds];
    if (!hasInitSetting(rendered.hostconfig)) hostConfig.Init = true;
    const exposedPorts = Object.fromEntries(Object.keys(hostConfig.PortBindings ?? {}).map((port) => [port, {}]));
    const body: Dockerode.ContainerCreateOptions = {
      Image: reference,
      Env: environmentList(request.environment),
      Labels: { ...request.labels },
      HostConfig: hostConfig,
      ...(this.#settings.command.length > 0 ? { Cmd: [...this.#settings.command] } : {}),
      ...(containerPaths.length > 0 ? { Volumes: Object.fromEntries(containerPaths.map((path) => [path, {}])) } : {}),
      ...(rendered.hostname ? { Hostname: rendered.hostname } : {}),
      ...(Object.keys(exposedPorts).length > 0 ? { ExposedPorts: exposedPorts } : {}),
    };
    // `_query`/`_body` keep the environment (with WORKERPASS) out of the request URL. The create is
    // not aborted half-way: the engine would create the container anyway, after our cleanup looked.
    const container = await engine(`create container ${name}`, () =>
      docker.createContainer({ _query: { name }, _body: body } as unknown as Dockerode.ContainerCreateOptions),
    );
    if (!container?.id) {
      logger.log('error', 'Failed to create the container');
      throw new FailedToSubstantiateError(
        `Failed to start container ${name}: the engine at ${dockerHost} returned no container id; check the engine's logs`,
      );
    }
    logger.log('info', `Container created, Id: ${container.id.slice(0, 6)}...`);
    const removeIfAborted = async () => {
      if (!signal.aborted) return;
      await removeContainer(docker, container.id, AbortSignal.timeout(60_000)).catch(() => undefined);
      throw signal.reason;
    };
    await removeIfAborted();
    try {
      await container.start({ abortSignal: signal });
    } catch (error) {
      await removeIfAborted();
      const message = engineMessage(error);
      if (message.includes(OS_MISMATCH)) {
        throw new WrongImagePlatformError(
          image,
          `Image used for build is wrong: ${message}. Use an image built for the engine's operating system`,
          { cause: error },
        );
      }
      throw translateEngineError(error, dockerHost, `start container ${name}`);
    }
    await removeIfAborted();
    logger.log('info', 'Container started');
    const instance: DockerInstance = { id: container.id, name, image, dockerHost };
    this.#redactors.set(instance.id, redactor);
    if (this.#settings.followStartupLogs) this.#follow(docker, instance, request, redactor, logger);
    return instance;
  }

  #follow(
    docker: Dockerode,
    instance: DockerInstance,
    request: StartInstanceRequest,
    redactor: Redactor,
    logger: Logger,
  ) {
    const follow = followInBackground(
      (signal) => followContainerOutput(docker, instance.id, request.events, (text) => redactor.redact(text), signal),
      (error) => logger.log('warn', `Cannot follow the output of container ${instance.name}: ${engineMessage(error)}`),
    );
    this.#follows.set(instance.id, follow);
    void follow.done.then(() => {
      if (this.#follows.get(instance.id) === follow) this.#follows.delete(instance.id);
    });
  }

  async stopInstance(target: StopTarget<DockerInstance>, { fast, signal }: StopOptions): Promise<void> {
    const { request, instance } = target;
    const redactor = new Redactor();
    redactor.add(request.password);
    const logger = redactingLogger(this.#logger, redactor);
    if (instance) {
      this.#redactors.delete(instance.id);
      const follow = this.#follows.get(instance.id);
      this.#follows.delete(instance.id);
      await follow?.stop();
    }
    const rendered = instance ? undefined : await this.renderStartSettings(request.properties).catch(() => undefined);
    const dockerHost = instance?.dockerHost ?? rendered?.dockerHost;
    if (dockerHost === undefined) return;
    const docker = this.#client(dockerHost);
    const failure = (action: string, error: unknown) =>
      redactor.redactError(
        isAbortError(error)
          ? error
          : new BackendError(
              `Docker engine at ${dockerHost} failed to ${action}: ${engineMessage(error)}. Remove it by hand (docker rm -f ${request.instanceName}) if it stays`,
              { cause: error },
            ),
      );
    if (instance) {
      const short = instance.id.slice(0, 6);
      logger.log('info', `Stopping container ${short}...`);
      const container = docker.getContainer(instance.id);
      let skipWait = fast;
      try {
        await container.stop({ abortSignal: signal });
      } catch (error) {
        if (isAbortError(error)) throw error;
        if (isNotFound(error)) {
          logger.log('info', `Cannot stop container ${short}: ${engineMessage(error)}`);
          skipWait = true;
        } else if (engineStatusCode(error) !== 304) {
          logger.log('warn', `Cannot stop container ${short}: ${engineMessage(error)}`);
        }
      }
      if (!skipWait) {
        try {
          await container.wait({ abortSignal: signal });
        } catch (error) {
          if (isAbortError(error)) throw error;
          if (!isNotFound(error)) logger.log('warn', `Cannot wait for container ${short}: ${engineMessage(error)}`);
        }
      }
      try {
        const removed = await removeContainer(docker, instance.id, signal);
        if (!removed) logger.log('info', `Cannot remove container ${short}: it is already gone`);
      } catch (error) {
        throw failure(`remove container ${instance.name}`, error);
      }
    } else {
      try {
        for (const container of await findContainersByExactName(docker, request.instanceName, signal)) {
          await removeContainer(docker, container.Id, signal);
        }
      } catch (error) {
        throw failure(`remove container ${request.instanceName}`, error);
      }
    }
    if (this.#settings.image === undefined) {
      const image = instance?.image ?? (rendered ? this.#imageFor(rendered, request.instanceName).image : undefined);
      if (image !== undefined) {
        try {
          await (docker.getImage(image).remove({ abortSignal: signal } as never) as unknown as Promise<unknown>);
        } catch (error) {
          if (isAbortError(error)) throw error;
          if (!isNotFound(error))
            logger.log('warn', `Error while removing the image ${image}: ${engineMessage(error)}`);
        }
      }
    }
  }

  async checkInstance(instance: DockerInstance, { signal }: SignalOptions): Promise<InstanceHealth> {
    const docker = this.#client(instance.dockerHost);
    const container = docker.getContainer(instance.id);
    let state: Dockerode.ContainerInspectInfo['State'];
    try {
      state = (await container.inspect({ abortSignal: signal })).State;
    } catch (error) {
      if (isNotFound(error)) {
        return {
          healthy: false,
          message: `container ${instance.name} (${instance.id.slice(0, 12)}) no longer exists: something removed it before the worker connected`,
        };
      }
      throw translateEngineError(error, instance.dockerHost, `inspect container ${instance.name}`);
    }
    if (state.Status !== 'exited' && state.Status !== 'dead') return { healthy: true };
    let logs = '';
    try {
      const output = (await container.logs({
        stdout: true,
        stderr: true,
        tail: HEALTH_CHECK_LOG_LINES,
        follow: false,
        abortSignal: signal,
      } as Dockerode.ContainerLogsOptions & { follow: false })) as unknown as Buffer;
      logs = `${decodeDockerLog(Buffer.isBuffer(output) ? output : Buffer.from(String(output)))}\n`;
    } catch (error) {
      if (isAbortError(error)) throw error;
      logs = `(cannot read the logs: ${engineMessage(error)})\n`;
    }
    const oom = state.OOMKilled ? ', killed for lack of memory' : '';
    const redactor = this.#redactors.get(instance.id);
    if (redactor) logs = redactor.redact(logs);
    return {
      healthy: false,
      message: `container ${instance.name} ${state.Status === 'dead' ? 'is dead' : 'exited'} with code ${state.ExitCode}${oom}; logs: \n${logs}`,
    };
  }

  #orphanClient(): { docker: Dockerode; dockerHost: string } {
    if (this.#settings.docker)
      return { docker: this.#settings.docker, dockerHost: describeClient(this.#settings.docker) };
    const dockerHost = this.#settings.dockerHost ?? defaultDockerHost();
    if (typeof dockerHost !== 'string') {
      throw new BackendError(
        'dockerHost is renderable, so there is no fixed engine to look for orphans on: create a provider with a plain dockerHost for reaping',
      );
    }
    return { docker: this.#client(dockerHost), dockerHost };
  }

  async listOrphans(owner: OwnerFilter, { signal }: SignalOptions): Promise<readonly OrphanInstance[]> {
    const { docker, dockerHost } = this.#orphanClient();
    try {
      const containers = await docker.listContainers({
        all: true,
        filters: { label: ownerLabelFilters(owner) },
        abortSignal: signal,
      });
      return containers.map((container) =>
        orphanFromLabels(owner, {
          id: container.Id,
          name: (container.Names ?? [])[0]?.replace(/^\//, ''),
          labels: container.Labels,
          state: container.State,
        }),
      );
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw new BackendError(
        `cannot list the containers of master ${owner.masterId} on ${dockerHost}: ${engineMessage(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  async reapOrphans(owner: OwnerFilter, options: SignalOptions): Promise<ReapResult> {
    const { docker } = this.#orphanClient();
    const orphans = await this.listOrphans(owner, options);
    const result = await reapEach(
      orphans,
      async (orphan, signal) => {
        try {
          await removeContainer(docker, orphan.id, signal);
        } catch (error) {
          throw isAbortError(error) ? error : new Error(engineMessage(error));
        }
      },
      options,
    );
    try {
      const images = await docker.listImages({
        filters: { label: ownerLabelFilters(owner) },
        abortSignal: options.signal,
      } as Dockerode.ListImagesOptions);
      for (const image of images) {
        await (docker.getImage(image.Id).remove({ force: true }) as Promise<unknown>).catch(() => undefined);
      }
    } catch (error) {
      if (isAbortError(error)) throw error;
      this.#logger.log('warn', `Cannot remove the images built for master ${owner.masterId}: ${engineMessage(error)}`);
    }
    return result;
  }
}

/**
 * Creates the Docker provider from Buildbot's `DockerLatentWorker` settings (camelCase). Settings
 * are validated now; problems throw `ConfigurationError`s that say what to fix.
 */
export function createDockerProvider(settings: DockerProviderSettings): DockerProvider {
  return new DockerProvider(settings);
}
