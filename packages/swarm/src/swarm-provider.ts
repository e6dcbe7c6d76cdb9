import {
  BackendError,
  ConfigurationError,
  type InstanceHandle,
  type InstanceHealth,
  isAbortError,
  type Logger,
  type OrphanInstance,
  OWNER_LABELS,
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
import { createDockerClient, defaultDockerHost } from '@latentci/docker';
import {
  abortableSleep,
  engineMessage,
  engineStatusCode,
  followInBackground,
  isNotFound,
  type LogFollow,
  orphanFromLabels,
  ownerLabelFilters,
  reapEach,
} from '@latentci/provider-utils';
import type Dockerode from 'dockerode';
import { translateSwarmError } from './engine-errors.js';
import { resolveServiceImage } from './image-resolution.js';
import { followServiceLogs } from './service-log-follower.js';
import { assertServiceName } from './service-name.js';
import { buildServiceSpec, type RenderedSwarmSettings, renderSwarmSettings } from './service-spec.js';
import { type SwarmProviderSettings, type ValidatedSwarmSettings, validateSwarmSettings } from './settings.js';
import { checkServiceHealth, serviceTasks } from './task-health.js';

/** The handle of a started worker service, passed back to `stopInstance` and `checkInstance`. */
export interface SwarmInstance extends InstanceHandle {
  /** Service id. */
  readonly id: string;
  /** Service name (`buildbot-<worker>-<masterhash>`). */
  readonly name: string;
  /** The image the service runs: an image id, or a reference pinned by digest. */
  readonly image: string;
}

export const SWARM_CAPABILITIES: ProviderCapabilities = {
  healthCheck: true,
  perBuildSettings: true,
  orphanReaping: true,
  startupLogs: true,
};

interface ServiceView {
  readonly ID: string;
  readonly Spec?: { readonly Name?: string; readonly Labels?: Readonly<Record<string, string>> };
}

function describeClient(docker: Dockerode): string {
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  if (typeof modem.socketPath === 'string') return `unix://${modem.socketPath}`;
  if (typeof modem.host === 'string')
    return `${String(modem.protocol ?? 'http')}://${modem.host}:${String(modem.port ?? '')}`;
  return 'the given dockerode client';
}

/** The Docker Swarm provider (contract v1): one single-replica service per worker instance. */
export class SwarmProvider implements ProviderV1<SwarmInstance> {
  readonly specificationVersion = 'v1' as const;
  readonly provider = 'swarm';
  readonly capabilities = SWARM_CAPABILITIES;
  readonly #settings: ValidatedSwarmSettings;
  readonly #logger: Logger;
  readonly #docker: Dockerode;
  readonly #manager: string;
  readonly #follows = new Map<string, LogFollow>();
  readonly #redactors = new Map<string, Redactor>();

  constructor(settings: SwarmProviderSettings) {
    this.#settings = validateSwarmSettings(settings);
    this.#logger = settings.logger ?? silentLogger;
    if (this.#settings.docker) {
      this.#docker = this.#settings.docker;
      this.#manager = describeClient(this.#docker);
    } else {
      this.#manager = this.#settings.dockerHost ?? defaultDockerHost();
      this.#docker = createDockerClient(this.#manager, undefined, undefined);
    }
  }

  /** Renders every start-relevant setting with a build's properties. */
  renderStartSettings(properties: Properties): Promise<RenderedSwarmSettings> {
    return renderSwarmSettings(this.#settings, properties);
  }

  async startInstance(request: StartInstanceRequest, { signal }: SignalOptions): Promise<SwarmInstance> {
    signal.throwIfAborted();
    const redactor = new Redactor();
    redactor.add(request.password);
    const logger = redactingLogger(this.#logger, redactor);
    try {
      return await this.#start(request, signal, logger, redactor);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw redactor.redactError(error);
    }
  }

  async #call<T>(action: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw translateSwarmError(error, this.#manager, action);
    }
  }

  async #start(
    request: StartInstanceRequest,
    signal: AbortSignal,
    logger: Logger,
    redactor: Redactor,
  ): Promise<SwarmInstance> {
    const name = request.instanceName;
    assertServiceName(name, request.workerName);
    const rendered = await this.renderStartSettings(request.properties);
    const docker = this.#docker;
    const nodes = await this.#call('list the swarm nodes', () =>
      docker.listNodes({ abortSignal: signal } as Dockerode.NodeListOptions),
    );
    // A previous service of this worker (a crashed master, an interrupted stop) holds the name.
    for (const previous of await this.#call(`look for a previous service named ${name}`, () =>
      this.#ownedServicesNamed(name, request.labels, signal),
    )) {
      logger.log('info', `Removing previous service ${name} (${previous.ID.slice(0, 12)})`);
      await this.#call(`remove the previous service ${name}`, () => this.#removeAndWait(previous.ID, signal));
    }
    const image = await this.#call(`resolve image ${rendered.image}`, () =>
      resolveServiceImage(docker, rendered.image, nodes.length, signal),
    );
    logger.log('info', `Image ${rendered.image} runs as ${image.reference} (${image.how})`);
    const spec = buildServiceSpec({
      name,
      image: image.reference,
      environment: request.environment,
      labels: request.labels,
      command: this.#settings.command,
      rendered,
    });
    signal.throwIfAborted();
    // Two arguments: with one, dockerode sends the spec (with WORKERPASS) as the X-Registry-Auth
    // header. Not aborted half-way: the manager would create the service after our cleanup looked.
    const service = await this.#call(`create service ${name}`, async () => {
      try {
        return await docker.createService(undefined as never, spec as unknown as Dockerode.CreateServiceOptions);
      } catch (error) {
        const status = engineStatusCode(error);
        // Engine 20.10 answers 500 for a missing network, 400 (InvalidArgument) for a bad spec.
        const refused = /not found|InvalidArgument|invalid/i.test(engineMessage(error));
        if (status === 400 || status === 404 || (status === 500 && refused)) {
          throw new ConfigurationError(
            `the swarm manager at ${this.#manager} refused the service spec of ${name}: ${engineMessage(error)}. Check constraints, networks, mounts, resources and serviceSpec`,
            { cause: error },
          );
        }
        throw error;
      }
    });
    logger.log('info', `Service created, Id: ${service.id.slice(0, 12)}`);
    const instance: SwarmInstance = { id: service.id, name, image: image.reference };
    if (signal.aborted) {
      await this.#removeAndWait(service.id, AbortSignal.timeout(this.#settings.removeTimeout * 1000)).catch(
        () => undefined,
      );
      throw signal.reason;
    }
    this.#redactors.set(instance.id, redactor);
    if (this.#settings.followStartupLogs) this.#follow(instance, request, redactor, logger);
    return instance;
  }

  #follow(instance: SwarmInstance, request: StartInstanceRequest, redactor: Redactor, logger: Logger): void {
    const follow = followInBackground(
      (signal) => followServiceLogs(this.#docker, instance.id, request.events, (text) => redactor.redact(text), signal),
      (error) => logger.log('warn', `Cannot follow the logs of service ${instance.name}: ${engineMessage(error)}`),
    );
    this.#follows.set(instance.id, follow);
  }

  /** Services named exactly `name` that carry the owner labels (Swarm's name filter matches substrings). */
  async #ownedServicesNamed(
    name: string,
    labels: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<ServiceView[]> {
    const services = (await this.#docker.listServices({
      filters: { name: [name] },
      abortSignal: signal,
    } as Dockerode.ServiceListOptions)) as unknown as ServiceView[];
    return services.filter(
      (service) =>
        service.Spec?.Name === name &&
        [OWNER_LABELS.managed, OWNER_LABELS.master, OWNER_LABELS.worker].every(
          (label) => service.Spec?.Labels?.[label] === labels[label],
        ),
    );
  }

  /**
   * Removes a service and waits (bounded by `removeTimeout`, abortable) until its tasks are gone:
   * Swarm deletes a task once its node removed the task's container.
   */
  async #removeAndWait(serviceId: string, signal: AbortSignal): Promise<boolean> {
    let taskIds: string[];
    try {
      taskIds = (await serviceTasks(this.#docker, serviceId, signal)).flatMap((task) => (task.ID ? [task.ID] : []));
      await this.#docker.getService(serviceId).remove({ abortSignal: signal } as {});
    } catch (error) {
      if (!isNotFound(error)) throw error;
      return false;
    }
    const deadline = Date.now() + this.#settings.removeTimeout * 1000;
    for (;;) {
      const remaining: string[] = [];
      for (const id of taskIds) {
        try {
          const task = (await this.#docker.getTask(id).inspect({ abortSignal: signal } as {})) as {
            Status?: { State?: string };
          };
          remaining.push(`${id.slice(0, 12)} (${task.Status?.State ?? 'unknown'})`);
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
      // Swarm deletes a task once it is shut down, and its node removes the container afterwards:
      // where the task ran on this manager's own node, wait for the container too.
      if (remaining.length === 0 && (await this.#localContainers(serviceId, signal)) === 0) return true;
      if (Date.now() > deadline) {
        throw new BackendError(
          `service ${serviceId} was removed but ${remaining.length > 0 ? `its tasks ${remaining.join(', ')} still exist` : 'its container on the manager still exists'} after ${this.#settings.removeTimeout} s: check the nodes (docker node ls) and remove leftover containers there by hand`,
        );
      }
      await abortableSleep(250, signal);
    }
  }

  async #localContainers(serviceId: string, signal: AbortSignal): Promise<number> {
    const containers = await this.#docker.listContainers({
      all: true,
      filters: { label: [`com.docker.swarm.service.id=${serviceId}`] },
      abortSignal: signal,
    } as Dockerode.ContainerListOptions);
    return containers.length;
  }

  async stopInstance(target: StopTarget<SwarmInstance>, { signal }: StopOptions): Promise<void> {
    const { request, instance } = target;
    const redactor = new Redactor();
    redactor.add(request.password);
    const logger = redactingLogger(this.#logger, redactor);
    const failure = (action: string, error: unknown) =>
      redactor.redactError(
        isAbortError(error) || error instanceof BackendError
          ? error
          : new BackendError(
              `the swarm manager at ${this.#manager} failed to ${action}: ${engineMessage(error)}. Remove it by hand (docker service rm ${request.instanceName}) if it stays`,
              { cause: error },
            ),
      );
    if (instance) {
      this.#redactors.delete(instance.id);
      const follow = this.#follows.get(instance.id);
      this.#follows.delete(instance.id);
      logger.log('info', `Removing service ${instance.name} (${instance.id.slice(0, 12)})`);
      try {
        if (!(await this.#removeAndWait(instance.id, signal))) {
          logger.log('info', `Service ${instance.name} is already gone`);
        }
      } catch (error) {
        throw failure(`remove service ${instance.name}`, error);
      } finally {
        await follow?.stop();
      }
      return;
    }
    try {
      for (const service of await this.#ownedServicesNamed(request.instanceName, request.labels, signal)) {
        await this.#removeAndWait(service.ID, signal);
      }
    } catch (error) {
      throw failure(`remove service ${request.instanceName}`, error);
    }
  }

  async checkInstance(instance: SwarmInstance, { signal }: SignalOptions): Promise<InstanceHealth> {
    let health: InstanceHealth;
    try {
      health = await checkServiceHealth(this.#docker, instance, signal);
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw new BackendError(
        `cannot check service ${instance.name} on the swarm manager at ${this.#manager}: ${engineMessage(error)}`,
        { cause: error },
      );
    }
    const redactor = this.#redactors.get(instance.id);
    if (health.healthy || !redactor) return health;
    return { healthy: false, message: redactor.redact(health.message) };
  }

  async listOrphans(owner: OwnerFilter, { signal }: SignalOptions): Promise<readonly OrphanInstance[]> {
    try {
      const services = (await this.#docker.listServices({
        filters: { label: ownerLabelFilters(owner) },
        abortSignal: signal,
      } as Dockerode.ServiceListOptions)) as unknown as ServiceView[];
      return services.map((service) =>
        orphanFromLabels(owner, {
          id: service.ID,
          name: service.Spec?.Name,
          labels: service.Spec?.Labels,
          state: 'service',
        }),
      );
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw new BackendError(
        `cannot list the services of master ${owner.masterId} on the swarm manager at ${this.#manager}: ${engineMessage(error)}`,
        { cause: error },
      );
    }
  }

  async reapOrphans(owner: OwnerFilter, options: SignalOptions): Promise<ReapResult> {
    const orphans = await this.listOrphans(owner, options);
    return reapEach(
      orphans,
      async (orphan, signal) => {
        try {
          await this.#removeAndWait(orphan.id, signal);
        } catch (error) {
          throw isAbortError(error) ? error : new Error(engineMessage(error));
        }
      },
      options,
    );
  }
}

/** Creates the Swarm provider; settings are validated now (`ConfigurationError`s say what to fix). */
export function createSwarmProvider(settings: SwarmProviderSettings): SwarmProvider {
  return new SwarmProvider(settings);
}
