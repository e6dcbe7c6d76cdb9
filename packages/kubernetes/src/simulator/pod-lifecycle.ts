import { type ClusterStore, type StoredObject, timestamp } from './cluster-store.js';
import { ImagePullError, type PodRuntime } from './runtime.js';
import type { FaultPod, KubernetesSimulatorFaults } from './simulator-options.js';

const NODE_NAME = 'latentci-simulated-node';
const HOST_IP = '172.17.0.1';
const IMAGE_REFERENCE =
  /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
const BACKOFF_MS = 1000;
const SECRET_RETRY_MS = 200;

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }[];
}
interface PodSpec {
  containers: Container[];
  nodeSelector?: Record<string, string>;
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  nodeName?: string;
}
interface Condition {
  type: string;
  status: 'True' | 'False';
  reason?: string;
  message?: string;
  lastTransitionTime: string;
}
type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: { exitCode: number; reason: string; startedAt?: string; finishedAt: string; containerID?: string } };
interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: ContainerState;
  containerID?: string;
}
interface PodStatus {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  conditions?: Condition[];
  containerStatuses?: ContainerStatus[];
  hostIP?: string;
  podIP?: string;
  startTime?: string;
  qosClass?: string;
}

/** Access to a stored pod's spec and status. */
export function podSpec(pod: StoredObject): PodSpec {
  return pod.spec as PodSpec;
}
export function podStatus(pod: StoredObject): PodStatus {
  return pod.status as PodStatus;
}

/**
 * The scheduler and the kubelet of a one-node cluster: schedules a created pod (or reports it
 * Unschedulable), pulls (checks) its image, resolves its `secretKeyRef` environment, runs its
 * first container on the runtime, and moves its phase and container states with it, as
 * `restartPolicy: Never` does. The other containers (sidecars) are reported running, not run.
 */
export class PodLifecycle {
  readonly #store: ClusterStore;
  readonly #runtime: PodRuntime;
  readonly #faults: () => KubernetesSimulatorFaults;
  readonly #nodeLabels: Readonly<Record<string, string>>;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #secretWaiters = new Set<() => void>();

  constructor(
    store: ClusterStore,
    runtime: PodRuntime,
    faults: () => KubernetesSimulatorFaults,
    nodeLabels: Readonly<Record<string, string>>,
  ) {
    this.#store = store;
    this.#runtime = runtime;
    this.#faults = faults;
    this.#nodeLabels = nodeLabels;
  }

  /** Fills the defaults the API server adds to a new pod and its initial status. */
  static admit(pod: StoredObject): void {
    const spec = podSpec(pod);
    spec.restartPolicy ??= 'Always';
    spec.terminationGracePeriodSeconds ??= 30;
    (spec as unknown as Record<string, unknown>).dnsPolicy ??= 'ClusterFirst';
    (spec as unknown as Record<string, unknown>).schedulerName ??= 'default-scheduler';
    pod.status = { phase: 'Pending', qosClass: qosClass(spec) } satisfies PodStatus;
  }

  /** Schedules and starts a created pod, in the background. */
  start(pod: StoredObject): void {
    this.#track(this.#run(pod));
  }

  /** Deletes a pod: Terminating for `graceSeconds` at most while its container stops, then gone. */
  delete(pod: StoredObject, graceSeconds: number): void {
    const started = Boolean(podStatus(pod).containerStatuses?.some((status) => 'running' in status.state));
    this.#store.update('pods', pod, (object) => {
      object.metadata.deletionTimestamp = timestamp(new Date(Date.now() + graceSeconds * 1000));
      object.metadata.deletionGracePeriodSeconds = graceSeconds;
    });
    this.#track(
      (async () => {
        await this.#runtime.kill(pod.metadata.uid, started ? graceSeconds : 0).catch(() => undefined);
        const delay = this.#faults().deletionDelay ?? 0;
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        if (!this.#store.remove('pods', pod)) return;
        // The garbage collector: dependents whose owner was this pod go with it.
        for (const secret of this.#store.list('secrets', pod.metadata.namespace)) {
          if (secret.metadata.ownerReferences?.some((owner) => owner.uid === pod.metadata.uid)) {
            this.#store.remove('secrets', secret);
          }
        }
      })(),
    );
  }

  /** A secret was created: pods waiting for it (CreateContainerConfigError) try again now. */
  secretCreated(): void {
    for (const wake of this.#secretWaiters) wake();
    this.#secretWaiters.clear();
  }

  /** Waits for the background work (launches, deletions) to settle. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch(() => undefined).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  #alive(pod: StoredObject): boolean {
    return (
      this.#store.get('pods', pod.metadata.namespace, pod.metadata.name) === pod && !pod.metadata.deletionTimestamp
    );
  }

  #setWaiting(pod: StoredObject, reason: string, message?: string): void {
    this.#store.update('pods', pod, (object) => {
      const status = podStatus(object);
      status.containerStatuses = podSpec(object).containers.map((container) => ({
        ...baseContainerStatus(container),
        state: { waiting: { reason, ...(message === undefined ? {} : { message }) } },
      }));
    });
  }

  async #run(pod: StoredObject): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (!this.#alive(pod)) return;
    const spec = podSpec(pod);
    const faultPod = toFaultPod(pod);
    const unschedulable = chosen(this.#faults().unschedulable, faultPod) ?? this.#selectorMismatch(spec);
    if (unschedulable !== undefined) {
      this.#store.update('pods', pod, (object) => {
        podStatus(object).conditions = [condition('PodScheduled', 'False', 'Unschedulable', unschedulable)];
      });
      return;
    }
    this.#store.update('pods', pod, (object) => {
      podSpec(object).nodeName = NODE_NAME;
      const status = podStatus(object);
      status.conditions = [
        condition('PodScheduled', 'True'),
        condition('Initialized', 'True'),
        condition('Ready', 'False', 'ContainersNotReady'),
        condition('ContainersReady', 'False', 'ContainersNotReady'),
      ];
      status.hostIP = HOST_IP;
      status.startTime = timestamp();
      status.containerStatuses = podSpec(object).containers.map((container) => ({
        ...baseContainerStatus(container),
        state: { waiting: { reason: 'ContainerCreating' } },
      }));
    });
    const main = spec.containers[0] as Container;
    if (!IMAGE_REFERENCE.test(main.image)) {
      this.#setWaiting(
        pod,
        'InvalidImageName',
        `Failed to apply default image tag "${main.image}": couldn't parse image name "${main.image}": invalid reference format`,
      );
      return;
    }
    const pullFailure = chosen(this.#faults().imagePullFailure, faultPod);
    if (pullFailure !== undefined) return this.#pullFailed(pod, main.image, pullFailure);

    let environment: Record<string, string> | undefined;
    for (;;) {
      if (!this.#alive(pod)) return;
      const resolved = this.#environment(pod, main);
      if (typeof resolved !== 'string') {
        environment = resolved;
        break;
      }
      const current = podStatus(pod).containerStatuses?.[0]?.state;
      if (!(current && 'waiting' in current && current.waiting.message === resolved)) {
        this.#setWaiting(pod, 'CreateContainerConfigError', resolved);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, SECRET_RETRY_MS);
        function wake() {
          clearTimeout(timer);
          resolve();
        }
        this.#secretWaiters.add(wake);
      });
    }
    let podIP: string;
    // A container can exit before launch() returns: record that exit after the running state.
    let runningRecorded = false;
    let earlyExit: { exitCode: number; finishedAt: Date } | undefined;
    try {
      ({ podIP } = await this.#runtime.launch(
        {
          uid: pod.metadata.uid,
          namespace: pod.metadata.namespace ?? 'default',
          podName: pod.metadata.name,
          containerName: main.name,
          image: main.image,
          environment,
          ...(main.command ? { command: main.command } : {}),
          ...(main.args ? { args: main.args } : {}),
          labels: pod.metadata.labels ?? {},
        },
        (exit) => {
          if (runningRecorded) this.#exited(pod, exit.exitCode, exit.finishedAt);
          else earlyExit = exit;
        },
      ));
    } catch (error) {
      if (!this.#alive(pod)) return;
      if (error instanceof ImagePullError) return this.#pullFailed(pod, main.image, error.message);
      this.#setWaiting(pod, 'RunContainerError', error instanceof Error ? error.message : String(error));
      return;
    }
    const startedAt = timestamp();
    this.#store.update('pods', pod, (object) => {
      const status = podStatus(object);
      status.phase = 'Running';
      status.podIP = podIP;
      status.conditions = [
        condition('PodScheduled', 'True'),
        condition('Initialized', 'True'),
        condition('Ready', 'True'),
        condition('ContainersReady', 'True'),
      ];
      status.containerStatuses = podSpec(object).containers.map((container) => ({
        ...baseContainerStatus(container),
        containerID: `docker://${object.metadata.uid}-${container.name}`,
        ready: true,
        started: true,
        state: { running: { startedAt } },
      }));
    });
    runningRecorded = true;
    if (earlyExit) this.#exited(pod, earlyExit.exitCode, earlyExit.finishedAt);
  }

  #pullFailed(pod: StoredObject, image: string, message: string): void {
    this.#setWaiting(pod, 'ErrImagePull', message);
    const timer = setTimeout(() => {
      if (this.#alive(pod)) this.#setWaiting(pod, 'ImagePullBackOff', `Back-off pulling image "${image}"`);
    }, BACKOFF_MS);
    timer.unref();
  }

  #exited(pod: StoredObject, exitCode: number, finishedAt: Date): void {
    this.#store.update('pods', pod, (object) => {
      const status = podStatus(object);
      status.phase = exitCode === 0 ? 'Succeeded' : 'Failed';
      status.conditions = [
        condition('PodScheduled', 'True'),
        condition('Initialized', 'True'),
        condition('Ready', 'False', 'PodCompleted'),
        condition('ContainersReady', 'False', 'PodCompleted'),
      ];
      const [main, ...sidecars] = status.containerStatuses ?? [];
      if (!main) return;
      const startedAt = 'running' in main.state ? main.state.running.startedAt : undefined;
      status.containerStatuses = [
        {
          ...main,
          ready: false,
          started: false,
          state: {
            terminated: {
              exitCode,
              reason: exitCode === 0 ? 'Completed' : 'Error',
              ...(startedAt ? { startedAt } : {}),
              finishedAt: timestamp(finishedAt),
              ...(main.containerID ? { containerID: main.containerID } : {}),
            },
          },
        },
        ...sidecars,
      ];
    });
  }

  /** The container's environment with secretKeyRef resolved, or the kubelet's message when a secret is missing. */
  #environment(pod: StoredObject, container: Container): Record<string, string> | string {
    const environment: Record<string, string> = {};
    for (const variable of container.env ?? []) {
      const reference = variable.valueFrom?.secretKeyRef;
      if (!reference) {
        environment[variable.name] = variable.value ?? '';
        continue;
      }
      const secret = this.#store.get('secrets', pod.metadata.namespace, reference.name);
      if (!secret) {
        if (reference.optional) continue;
        return `secret "${reference.name}" not found`;
      }
      const data = (secret.data ?? {}) as Record<string, string>;
      const encoded = data[reference.key];
      if (encoded === undefined) {
        if (reference.optional) continue;
        return `couldn't find key ${reference.key} in Secret ${pod.metadata.namespace}/${reference.name}`;
      }
      environment[variable.name] = Buffer.from(encoded, 'base64').toString('utf8');
    }
    return environment;
  }

  #selectorMismatch(spec: PodSpec): string | undefined {
    const selector = spec.nodeSelector ?? {};
    const matches = Object.entries(selector).every(([label, value]) => this.#nodeLabels[label] === value);
    return matches
      ? undefined
      : "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
  }
}

function chosen(
  fault: string | ((pod: FaultPod) => string | undefined) | undefined,
  pod: FaultPod,
): string | undefined {
  return typeof fault === 'function' ? fault(pod) : fault;
}

function toFaultPod(pod: StoredObject): FaultPod {
  return {
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name,
    image: podSpec(pod).containers[0]?.image ?? '',
    labels: pod.metadata.labels ?? {},
  };
}

function condition(type: string, status: 'True' | 'False', reason?: string, message?: string): Condition {
  return {
    type,
    status,
    lastTransitionTime: timestamp(),
    ...(reason === undefined ? {} : { reason }),
    ...(message === undefined ? {} : { message }),
  };
}

function baseContainerStatus(container: Container): Omit<ContainerStatus, 'state'> {
  return { name: container.name, image: container.image, imageID: '', ready: false, started: false, restartCount: 0 };
}

function qosClass(spec: PodSpec): string {
  const resources = spec.containers.map(
    (container) => (container as { resources?: { limits?: object; requests?: object } }).resources,
  );
  if (resources.every((resource) => !resource?.limits && !resource?.requests)) return 'BestEffort';
  return 'Burstable';
}
