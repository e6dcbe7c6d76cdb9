import type Docker from 'dockerode';

/** An RBAC `PolicyRule` of core/v1: which verbs on which resources (`pods`, `pods/log`, `secrets`…). `*` matches all. */
export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly resources: readonly string[];
}

/** Who a credential authenticates as, and what RBAC lets them do. Without `rules`: everything (cluster-admin). */
export interface SimulatorUser {
  readonly name: string;
  readonly rules?: readonly PolicyRule[];
}

/** Authentication the simulator demands. Without it every request is served as cluster-admin. */
export interface KubernetesSimulatorAuth {
  /** Bearer tokens and the user each one authenticates. */
  readonly tokens?: Readonly<Record<string, SimulatorUser>>;
  /**
   * Client certificates (needs `tls.clientCa`): the certificate's CN is the user name, and the
   * rules of that name come from here (absent: everything).
   */
  readonly certificateUsers?: Readonly<Record<string, readonly PolicyRule[] | undefined>>;
}

/** Serve HTTPS with this certificate (PEM). */
export interface KubernetesSimulatorTls {
  readonly cert: string;
  readonly key: string;
  /** Verify client certificates against this CA (PEM): enables client-certificate authentication. */
  readonly clientCa?: string;
}

/** One injected error answer, instead of serving the request. */
export interface InjectedError {
  /** Only requests with this method; default any. */
  readonly method?: string;
  /** Only requests whose path (without query) contains this; default any. */
  readonly path?: string;
  /** The status to answer: 429, 500, 503… */
  readonly status: number;
  /** `Retry-After` (seconds) for 429, also in `details.retryAfterSeconds`. Default 1 for 429. */
  readonly retryAfterSeconds?: number;
  /** How many matching requests get it; default every one. */
  readonly times?: number;
}

/** A pod, as fault functions see it. */
export interface FaultPod {
  readonly namespace: string;
  readonly name: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Faults injected into the simulator; `setFaults` replaces them at run time. */
export interface KubernetesSimulatorFaults {
  /** Milliseconds added before every answer. */
  readonly latency?: number;
  /** Requests answered with an error status (`Status` body) instead of being served; first match wins. */
  readonly errors?: readonly InjectedError[];
  /** Image pulls fail (`ErrImagePull`, then `ImagePullBackOff`) with this message, or the message the function returns. */
  readonly imagePullFailure?: string | ((pod: FaultPod) => string | undefined);
  /** The scheduler cannot place pods (`PodScheduled=False`, reason `Unschedulable`) with this message, or the function's. */
  readonly unschedulable?: string | ((pod: FaultPod) => string | undefined);
  /** Deleted pods stay `Terminating` this many ms longer (a slow kubelet or a finalizer). */
  readonly deletionDelay?: number;
  /** Every watch is cut (the connection closes without a final event) after this many ms. */
  readonly dropWatchesAfter?: number;
}

export interface KubernetesSimulatorOptions {
  /** `docker` runs every Pod's first container on the local engine; `virtual` runs nothing (scale tests). */
  readonly runtime: 'docker' | 'virtual';
  /** Address to listen on: `127.0.0.1` (default) or `172.17.0.1`. */
  readonly host?: string;
  /** Port; default 0 (any free port). */
  readonly port?: number;
  /** Serve HTTPS (and client-certificate authentication with `clientCa`). Default plain HTTP. */
  readonly tls?: KubernetesSimulatorTls;
  /** Demand credentials; default none. */
  readonly auth?: KubernetesSimulatorAuth;
  /** Namespaces that exist at start. Default `default`, `kube-system`, `kube-public`. */
  readonly namespaces?: readonly string[];
  /** Labels of the simulated node, matched against `nodeSelector`. Default the standard `kubernetes.io/*` ones. */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** How many changes a watch can resume from (older `resourceVersion`s get 410 Expired). Default 10000. */
  readonly watchHistory?: number;
  /** The Docker engine for the `docker` runtime. Default `/var/run/docker.sock`. */
  readonly docker?: Docker | Docker.DockerOptions;
  /** Faults to start with. */
  readonly faults?: KubernetesSimulatorFaults;
}

/** A request the simulator served, for asserting call sequences. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly status: number;
  /** The authenticated user, when auth is on. */
  readonly user?: string;
}
