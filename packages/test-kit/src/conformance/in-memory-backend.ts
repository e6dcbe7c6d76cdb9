import {
  CannotSubstantiateError,
  type InstanceHealth,
  type OrphanInstance,
  OWNER_LABELS,
  type OwnerFilter,
  type Properties,
  type ProviderV1,
  type ReapResult,
  type SignalOptions,
  type StartInstanceRequest,
  type StopOptions,
  type StopTarget,
} from '@latentci/core';
import { type InMemoryInstance, InMemoryProvider } from '@latentci/core/testing';
import { connectProbe, type ProbeClient } from '../attach/probe-client.js';
import type { CaseContext, ConformanceBackend, WorkerKind } from './options.js';
import { PROBE_CRASH_MESSAGE } from './options.js';

/** Settings of the in-memory backend's providers: which worker the next starts give. */
export interface InMemorySettings {
  readonly kind: WorkerKind | 'failing-start';
}

/** The "images" the in-memory backend has: an instance of another image never attaches. */
const KNOWN_IMAGES = new Set(['probe-default', 'probe-per-build']);

export interface InMemoryConformanceOptions {
  /** Attach over IPv6 (`::1`) in the IPv6 case; false exercises the `listInstances` environment path. Default true. */
  readonly ipv6?: boolean;
  /**
   * Models a misconfigured backend that restarts a worker whose process exited (restart policy
   * "any"): the suite's `no-restart-after-exit` case must catch it. Default false.
   */
  readonly restartExitedWorkers?: boolean;
}

/** Why a `pending` in-memory instance is never placed. */
export const IN_MEMORY_PENDING_REASON = 'no node has the label latentci-conformance=unplaceable';

/**
 * The conformance suite's options for core's reference in-memory provider (`@latentci/core/testing`):
 * the fastest backend there is. Instances "attach virtually": when one starts, a JavaScript probe
 * ({@link connectProbe}) connects to the attach server with the instance's environment, exactly as
 * the probe image would; stopping the instance closes that connection.
 *
 * @example
 * describeConformance({ ...inMemoryConformance() });
 */
export function inMemoryConformance(options: InMemoryConformanceOptions = {}): {
  createProvider: (settings: InMemorySettings, context: CaseContext) => ProviderV1<InMemoryInstance>;
  backend: ConformanceBackend<InMemorySettings>;
} {
  // One backend per master id: a "restarted master" (a second provider) sees the same instances.
  const backends = new Map<string, VirtualBackend>();
  const backendOf = (masterId: string): VirtualBackend => {
    let backend = backends.get(masterId);
    if (!backend) {
      backend = createVirtualBackend(options.restartExitedWorkers ?? false);
      backends.set(masterId, backend);
    }
    return backend;
  };
  return {
    createProvider: (settings, context) => new InMemoryConformanceProvider(backendOf(context.masterId), settings),
    backend: {
      name: 'in-memory',
      masterHost: '127.0.0.1',
      ...(options.ipv6 === false ? {} : { ipv6: { masterHost: '::1' } }),
      workerSettings: (kind) => ({ kind }),
      startFailure: {
        settings: { kind: 'failing-start' },
        error: CannotSubstantiateError,
        because: 'the image does not exist',
      },
      perBuild: {
        properties: { conformance_image: 'probe-per-build' },
        otherProperties: { conformance_image: 'probe-missing' },
        renderedValue: 'probe-per-build',
      },
      async listInstances(owner) {
        const backend = backends.get(owner.masterId);
        if (!backend) return [];
        return backend.instances.liveInstances
          .filter(
            (instance) =>
              instance.labels[OWNER_LABELS.master] === owner.masterId &&
              (owner.workerName === undefined || instance.labels[OWNER_LABELS.worker] === owner.workerName),
          )
          .map((instance) => ({
            id: instance.id,
            name: instance.name,
            state: instance.status,
            environment: instance.environment,
          }));
      },
    },
  };
}

interface VirtualBackend {
  readonly instances: InMemoryProvider;
  /** Closes the virtual worker connection of an instance removed behind the provider's back (reaping). */
  disconnect(instanceId: string): void;
}

function createVirtualBackend(restartExitedWorkers: boolean): VirtualBackend {
  const backend = new InMemoryProvider({
    name: 'in-memory',
    renderStartSettings: (properties: Properties) => ({
      image: properties.getProperty('conformance_image', 'probe-default'),
    }),
    startupLogs: ['in-memory instance starting'],
  });
  const connections = new Map<string, ProbeClient>();
  const disconnect = (instanceId: string) => {
    connections.get(instanceId)?.close();
    connections.delete(instanceId);
  };
  backend.onStarted = (instance) => {
    // An instance removed behind our back (a same-named leftover) takes its worker with it.
    const live = new Set(backend.liveInstances.map((candidate) => candidate.id));
    for (const id of [...connections.keys()]) if (!live.has(id)) disconnect(id);
    const image = (instance.settings as { image?: unknown } | null)?.image;
    if (instance.status !== 'running' || !KNOWN_IMAGES.has(String(image))) return;
    connect(instance);
  };
  const connect = (instance: InMemoryInstance) => {
    const client = connectProbe(instance.environment, { attempts: 5, retryDelayMs: 200 });
    connections.set(instance.id, client);
    if (!restartExitedWorkers) return;
    // The worker exited on its own (not stopped): a "restart policy any" backend starts it again.
    client.closed.then(() => {
      setTimeout(() => {
        const live = backend.liveInstances.some((candidate) => candidate.id === instance.id);
        if (connections.get(instance.id) === client && live) connect(instance);
      }, 100);
    });
  };
  backend.onStopped = (instance) => disconnect(instance.id);
  return { instances: backend, disconnect };
}

/** A provider over the shared in-memory backend that gives the worker its settings ask for. */
class InMemoryConformanceProvider implements ProviderV1<InMemoryInstance> {
  readonly specificationVersion = 'v1' as const;
  readonly provider = 'in-memory';
  readonly capabilities;
  readonly #virtual: VirtualBackend;
  readonly #backend: InMemoryProvider;
  readonly #settings: InMemorySettings;

  constructor(virtual: VirtualBackend, settings: InMemorySettings) {
    this.#virtual = virtual;
    this.#backend = virtual.instances;
    this.#settings = settings;
    this.capabilities = virtual.instances.capabilities;
  }

  startInstance(request: StartInstanceRequest, options: SignalOptions): Promise<InMemoryInstance> {
    if (this.#settings.kind === 'crashing') this.#backend.crashNextInstance(PROBE_CRASH_MESSAGE);
    if (this.#settings.kind === 'pending') this.#backend.pendNextInstance(IN_MEMORY_PENDING_REASON);
    if (this.#settings.kind === 'unplaceable') {
      this.#backend.crashNextInstance('in-memory backend: the image "probe-missing" is not on the node', {
        fatal: true,
      });
    }
    if (this.#settings.kind === 'failing-start') {
      this.#backend.failNextStart(
        new CannotSubstantiateError('in-memory backend: the image "probe-missing" does not exist'),
      );
    }
    return this.#backend.startInstance(request, options);
  }

  stopInstance(target: StopTarget<InMemoryInstance>, options: StopOptions): Promise<void> {
    return this.#backend.stopInstance(target, options);
  }

  checkInstance(instance: InMemoryInstance, options: SignalOptions): Promise<InstanceHealth> {
    return this.#backend.checkInstance(instance, options);
  }

  renderStartSettings(properties: Properties): Promise<unknown> {
    return this.#backend.renderStartSettings(properties);
  }

  listOrphans(owner: OwnerFilter, options: SignalOptions): Promise<readonly OrphanInstance[]> {
    return this.#backend.listOrphans(owner, options);
  }

  async reapOrphans(owner: OwnerFilter, options: SignalOptions): Promise<ReapResult> {
    const result = await this.#backend.reapOrphans(owner, options);
    for (const removed of result.removed) this.#virtual.disconnect(removed.id);
    return result;
  }
}
