import { CoreV1Api, type KubeConfig, Log, type V1Pod, Watch } from '@kubernetes/client-node';
import {
  ConfigurationError,
  type InstanceHandle,
  type InstanceHealth,
  isAbortError,
  type Logger,
  type OrphanInstance,
  OWNER_LABELS,
  type OwnerFilter,
  type ProviderV1,
  type ReapResult,
  Redactor,
  type SignalOptions,
  type StartInstanceRequest,
  type StopOptions,
  type StopTarget,
  silentLogger,
} from '@latentci/core';
import { type CallDescription, callApi } from './api-call.js';
import { KubernetesApiError, KubernetesImagePullError, KubernetesNamespaceNotFoundError } from './errors.js';
import { loadKubeConfig } from './kube-config.js';
import { type KubernetesSettings, resolveKubernetesSettings } from './kubernetes-settings.js';
import { ownerLabelValue, ownerSelector } from './owner-labels.js';
import { type PodVerdict, podVerdict } from './pod-health.js';
import { passwordSecretManifest, podManifest } from './pod-manifest.js';
import { observePod, type PodObserverContext } from './pod-observer.js';
import { renderKubernetesSettings } from './render-settings.js';
import { followStartupLogs } from './startup-log-follower.js';

/** A started worker Pod, as the provider hands it to the core. */
export interface KubernetesInstance extends InstanceHandle {
  /** The Pod's uid. */
  readonly id: string;
  /** The Pod's name: Buildbot's `buildbot-<worker>-<masterhash>`. */
  readonly name: string;
  readonly namespace: string;
  /** The worker image, for messages. */
  readonly image: string;
}

interface Connection {
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly watch: Watch;
  readonly log: Log;
  readonly namespace: string;
}

const LOG_TAIL_LINES = 100;
const NO_TIMEOUT = 2_147_483_647;

/**
 * The Kubernetes provider: runs each worker as one Pod (`restartPolicy: Never`), as Buildbot's
 * `KubeLatentWorker` does, on the official client. The worker password is in a Secret owned by
 * the Pod. A start deletes a previous Pod of the same name (and waits for it to be gone), creates
 * the Pod and its Secret, and resolves once the worker container runs; an image that cannot be
 * pulled fails it as not retryable. Health, deletion and orphan reaping go through the API by
 * label selector; 429 and 5xx answers are retried within a call.
 */
export function createKubernetesProvider(settings: KubernetesSettings): ProviderV1<KubernetesInstance> {
  const resolved = resolveKubernetesSettings(settings);
  const logger: Logger = resolved.logger ?? silentLogger;
  const baseSecrets: string[] = [];
  const explicit = resolved.kubeConfig as { token?: unknown; clientKey?: unknown } | undefined;
  if (explicit && typeof explicit === 'object') {
    if (typeof explicit.token === 'string') baseSecrets.push(explicit.token);
    if (typeof explicit.clientKey === 'string') baseSecrets.push(explicit.clientKey);
  }
  const baseRedactor = redactorWith(baseSecrets);
  const logFollowers = new Map<string, () => void>();
  // A watch per started Pod keeps its latest state, so health checks read it without a request.
  const podWatches = new Map<string, { readonly controller: AbortController; pod?: V1Pod; seen: boolean }>();
  let connection: Connection | undefined;

  // Loaded at the first call, not here: creating a provider must not touch files or the network.
  function connect(): Connection {
    if (connection) return connection;
    const loaded = loadKubeConfig(resolved.kubeConfig);
    connection = {
      kubeConfig: loaded.kubeConfig,
      core: loaded.kubeConfig.makeApiClient(CoreV1Api),
      watch: new Watch(loaded.kubeConfig),
      log: new Log(loaded.kubeConfig),
      namespace: resolved.namespace ?? loaded.namespace ?? 'default',
    };
    return connection;
  }

  function redactorFor(request?: StartInstanceRequest): Redactor {
    return request ? redactorWith([...baseSecrets, request.password]) : baseRedactor;
  }

  function call<T>(
    description: Omit<CallDescription, 'namespace'>,
    run: (connection: Connection) => Promise<T>,
    signal: AbortSignal,
    redactor: Redactor,
    request?: StartInstanceRequest,
  ): Promise<T> {
    const current = connect();
    return callApi({ ...description, namespace: current.namespace }, () => run(current), {
      attempts: resolved.requestAttempts,
      retryDelay: resolved.retryDelay,
      signal,
      redactor,
      ...(request
        ? { onRetry: (problem: string) => request.events.progress({ phase: 'deploy', status: problem }) }
        : {}),
    });
  }

  /** Resolves `undefined` instead of throwing for a 404 of the object itself (not of its namespace). */
  async function unlessMissing<T>(promise: Promise<T>): Promise<T | undefined> {
    try {
      return await promise;
    } catch (error) {
      if (error instanceof KubernetesNamespaceNotFoundError) throw error;
      if (error instanceof KubernetesApiError && error.answer?.status === 404) return undefined;
      throw error;
    }
  }

  function observer(redactor: Redactor, name: string): PodObserverContext & { path: string } {
    const current = connect();
    return {
      core: current.core,
      watch: current.watch,
      path: `/api/v1/namespaces/${encodeURIComponent(current.namespace)}/pods`,
      list: async (signal) => {
        const list = await call(
          { verb: 'list', resource: 'pods' },
          (api) => api.core.listNamespacedPod({ namespace: api.namespace, fieldSelector: `metadata.name=${name}` }),
          signal,
          redactor,
        );
        return { pod: list.items[0], resourceVersion: list.metadata?.resourceVersion ?? '' };
      },
    };
  }

  async function deletePod(
    name: string,
    grace: number | undefined,
    signal: AbortSignal,
    redactor: Redactor,
  ): Promise<boolean> {
    const deleted = await unlessMissing(
      call(
        { verb: 'delete', resource: 'pods', name },
        (api) =>
          api.core.deleteNamespacedPod({
            name,
            namespace: api.namespace,
            ...(grace === undefined ? {} : { gracePeriodSeconds: grace }),
          }),
        signal,
        redactor,
      ),
    );
    return deleted !== undefined;
  }

  async function deleteSecret(name: string, signal: AbortSignal, redactor: Redactor): Promise<void> {
    await unlessMissing(
      call(
        { verb: 'delete', resource: 'secrets', name },
        (api) => api.core.deleteNamespacedSecret({ name, namespace: api.namespace }),
        signal,
        redactor,
      ),
    );
  }

  async function waitGone(name: string, signal: AbortSignal, redactor: Redactor): Promise<boolean> {
    const context = observer(redactor, name);
    const gone = await observePod(context, context.path, name, (pod) => (pod === undefined ? true : undefined), {
      signal,
      timeoutMs: resolved.deleteTimeout,
    });
    return gone === true;
  }

  function stopFollowing(name: string): void {
    logFollowers.get(name)?.();
    logFollowers.delete(name);
    podWatches.get(name)?.controller.abort();
    podWatches.delete(name);
  }

  /** Watches the Pod until it is stopped; when the watch fails for good, health checks list again. */
  function watchPod(name: string, redactor: Redactor): void {
    const watched: { readonly controller: AbortController; pod?: V1Pod; seen: boolean } = {
      controller: new AbortController(),
      seen: false,
    };
    podWatches.set(name, watched);
    const context = observer(redactor, name);
    // Follows the Pod until it is gone (then "gone" is the answer for good).
    const record = (pod: V1Pod | undefined) => {
      if (pod) watched.pod = pod;
      else delete watched.pod;
      watched.seen = true;
      return pod === undefined ? true : undefined;
    };
    observePod(context, context.path, name, record, { signal: watched.controller.signal, timeoutMs: NO_TIMEOUT }).catch(
      () => {
        if (podWatches.get(name) === watched) podWatches.delete(name);
      },
    );
  }

  async function startInstance(request: StartInstanceRequest, { signal }: SignalOptions): Promise<KubernetesInstance> {
    const redactor = redactorFor(request);
    const rendered = await renderKubernetesSettings(resolved, request.properties);
    if (rendered.image.length === 0) throw new ConfigurationError('image must render to a non-empty string');
    const current = connect();
    const name = request.instanceName;
    const where = `${current.namespace}/${name}`;
    const progress = (status: string) => request.events.progress({ phase: 'deploy', status });

    // 1. Buildbot deletes a previous Pod of the same name; it is a leftover, so without grace.
    progress(`deleting any previous pod ${where}`);
    if (await deletePod(name, 0, signal, redactor)) {
      if (!(await waitGone(name, signal, redactor))) {
        throw new KubernetesApiError(
          `the previous pod ${where} was not gone ${resolved.deleteTimeout} ms after its deletion; check its finalizers (kubectl describe pod)`,
          undefined,
        );
      }
    }
    await deleteSecret(name, signal, redactor);

    // 2. The Pod, then its Secret (owned by the Pod, so it needs the Pod's uid). The create is not
    //    cut short by an abort: once sent it may succeed, and the stop that follows must find it.
    progress(`creating pod ${where}`);
    const manifest = podManifest({
      instanceName: name,
      environment: request.environment,
      labels: request.labels,
      settings: rendered,
    });
    const created = await call(
      { verb: 'create', resource: 'pods', name },
      (api) => api.core.createNamespacedPod({ namespace: api.namespace, body: manifest as V1Pod }),
      new AbortController().signal,
      redactor,
      request,
    );
    const uid = created.metadata?.uid ?? '';
    const instance: KubernetesInstance = { id: uid, name, namespace: current.namespace, image: rendered.image };
    const secret = passwordSecretManifest({
      instanceName: name,
      password: request.password,
      labels: request.labels,
      podUid: uid,
    });
    await call(
      { verb: 'create', resource: 'secrets', name },
      (api) => api.core.createNamespacedSecret({ namespace: api.namespace, body: secret }),
      new AbortController().signal,
      redactor,
      request,
    );
    signal.throwIfAborted();

    // 3. Until the worker container runs (or cannot).
    progress(`waiting for pod ${where} to run`);
    const context = observer(redactor, name);
    const verdict = (await observePod(
      context,
      context.path,
      name,
      (pod) => {
        if (pod && pod.metadata?.uid !== uid) return { kind: 'gone' } satisfies PodVerdict;
        const seen = podVerdict(pod);
        return seen.kind === 'pending' ? undefined : seen;
      },
      { signal, timeoutMs: NO_TIMEOUT },
    )) as PodVerdict;
    if (verdict.kind === 'image') throw imagePullError(where, verdict);
    if (verdict.kind === 'gone' || verdict.kind === 'deleting') {
      throw new KubernetesApiError(`pod ${where} was deleted while it started (by someone else?)`, undefined);
    }
    if (verdict.kind === 'unschedulable') progress(`pod ${where} is not schedulable: ${verdict.message}`);
    else progress(`pod ${where} ${verdict.kind === 'running' ? 'is running' : 'ended'}`);
    watchPod(name, redactor);
    if (resolved.followStartupLogs && (verdict.kind === 'running' || verdict.kind === 'crashed')) {
      const stop = await followStartupLogs(
        current.log,
        { namespace: current.namespace, pod: name, container: name },
        request.events,
        redactor,
      ).catch((error: unknown) => {
        logger.log('debug', redactor.redact(`not following the logs of pod ${where}: ${(error as Error).message}`));
        return undefined;
      });
      if (stop) logFollowers.set(name, stop);
    }
    return instance;
  }

  async function stopInstance(target: StopTarget<KubernetesInstance>, { fast, signal }: StopOptions): Promise<void> {
    const name = target.instance?.name ?? target.request.instanceName;
    const redactor = redactorFor(target.request);
    stopFollowing(name);
    // Buildbot's behaviour: a failed delete is reported (log and event), never thrown.
    const report = (problem: string) => {
      const message = redactor.redact(problem);
      logger.log('warn', message, { pod: name });
      target.request.events.progress({ phase: 'delete', status: message });
    };
    try {
      const existed = await deletePod(name, fast ? 0 : undefined, signal, redactor);
      await deleteSecret(name, signal, redactor);
      if (existed && !(await waitGone(name, signal, redactor))) {
        report(`pod ${connect().namespace}/${name} was not gone ${resolved.deleteTimeout} ms after its deletion`);
      }
    } catch (error) {
      if (isAbortError(error) || signal.aborted) throw error;
      report(`Unable to delete pod ${name}: ${(error as Error).message}`);
    }
  }

  /** The Pod's state from its watch (one list when there is none), read as a verdict. */
  async function checkInstance(instance: KubernetesInstance, { signal }: SignalOptions): Promise<InstanceHealth> {
    const redactor = baseRedactor;
    const where = `${instance.namespace}/${instance.name}`;
    let pod: V1Pod | undefined;
    const watched = podWatches.get(instance.name);
    try {
      pod = watched?.seen ? watched.pod : (await observer(redactor, instance.name).list(signal)).pod;
    } catch (error) {
      if (error instanceof KubernetesApiError && error.retryable) {
        logger.log('debug', `health check of pod ${where} skipped: ${error.message}`);
        return { healthy: true };
      }
      throw error;
    }
    const verdict = pod && pod.metadata?.uid !== instance.id ? ({ kind: 'gone' } as const) : podVerdict(pod);
    switch (verdict.kind) {
      case 'running':
      case 'pending':
        return { healthy: true };
      case 'gone':
        return { healthy: false, message: `pod ${where} does not exist any more (deleted outside latentci?)` };
      case 'deleting':
        return { healthy: false, message: `pod ${where} is being deleted (by someone else?)` };
      case 'unschedulable':
        return { healthy: false, message: `pod ${where} cannot be scheduled: ${verdict.message}` };
      case 'image':
        return { healthy: false, message: imagePullError(where, verdict).message };
      case 'crashed': {
        const output = await call(
          { verb: 'get', resource: 'pods/log', name: instance.name },
          (api) =>
            api.core.readNamespacedPodLog({
              name: instance.name,
              namespace: api.namespace,
              container: verdict.container,
              tailLines: LOG_TAIL_LINES,
            }),
          signal,
          redactor,
        ).catch((error: unknown) => `(its log could not be read: ${(error as Error).message})`);
        const text = String(output ?? '').trimEnd();
        return {
          healthy: false,
          message: redactor.redact(
            `pod ${where} ended before its worker connected: ${verdict.summary}${text ? `; last output:\n${text}` : ''}`,
          ),
        };
      }
    }
  }

  async function listOrphans(owner: OwnerFilter, { signal }: SignalOptions): Promise<OrphanInstance[]> {
    const list = await call(
      { verb: 'list', resource: 'pods' },
      (api) => api.core.listNamespacedPod({ namespace: api.namespace, labelSelector: ownerSelector(owner) }),
      signal,
      baseRedactor,
    );
    return list.items
      .filter((pod) => {
        const annotations = pod.metadata?.annotations ?? {};
        const master = annotations[OWNER_LABELS.master] ?? pod.metadata?.labels?.[OWNER_LABELS.master];
        const worker = annotations[OWNER_LABELS.worker] ?? pod.metadata?.labels?.[OWNER_LABELS.worker];
        return (
          (master === owner.masterId || master === ownerLabelValue(owner.masterId)) &&
          (owner.workerName === undefined ||
            worker === owner.workerName ||
            worker === ownerLabelValue(owner.workerName))
        );
      })
      .map((pod) => ({
        id: pod.metadata?.uid ?? '',
        name: pod.metadata?.name ?? '',
        masterId: owner.masterId,
        workerName:
          pod.metadata?.annotations?.[OWNER_LABELS.worker] ?? pod.metadata?.labels?.[OWNER_LABELS.worker] ?? '',
        state: pod.metadata?.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Pending'),
      }));
  }

  async function reapOrphans(owner: OwnerFilter, options: SignalOptions): Promise<ReapResult> {
    const orphans = await listOrphans(owner, options);
    const removed: OrphanInstance[] = [];
    const failed: { instance: OrphanInstance; message: string }[] = [];
    await Promise.all(
      orphans.map(async (orphan) => {
        const name = orphan.name ?? '';
        stopFollowing(name);
        try {
          await deletePod(name, 0, options.signal, baseRedactor);
          await deleteSecret(name, options.signal, baseRedactor);
          if (await waitGone(name, options.signal, baseRedactor)) removed.push(orphan);
          else failed.push({ instance: orphan, message: `not gone ${resolved.deleteTimeout} ms after its deletion` });
        } catch (error) {
          if (isAbortError(error) || options.signal.aborted) throw error;
          failed.push({ instance: orphan, message: (error as Error).message });
        }
      }),
    );
    return { removed, failed };
  }

  return {
    specificationVersion: 'v1',
    provider: 'kubernetes',
    capabilities: {
      healthCheck: true,
      perBuildSettings: true,
      orphanReaping: true,
      startupLogs: resolved.followStartupLogs,
    },
    startInstance,
    stopInstance,
    checkInstance,
    renderStartSettings: (properties) => renderKubernetesSettings(resolved, properties),
    listOrphans,
    reapOrphans,
  };
}

function redactorWith(secrets: readonly string[]): Redactor {
  const redactor = new Redactor();
  for (const secret of secrets) redactor.add(secret);
  return redactor;
}

function imagePullError(where: string, verdict: Extract<PodVerdict, { kind: 'image' }>): KubernetesImagePullError {
  return new KubernetesImagePullError(
    `pod ${where} cannot pull image "${verdict.image}" (${verdict.reason}${verdict.message ? `: ${verdict.message}` : ''}); not retryable: fix the image setting, push the image, or give imagePullSecrets`,
    verdict.image,
    verdict.reason,
  );
}
