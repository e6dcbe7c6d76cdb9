import type { Properties } from '../renderables/properties.js';

/**
 * The provider contract, version 1.
 *
 * A provider is a thin adapter between latentci's lifecycle (`LatentWorker`, in this package) and
 * one backend: a Docker engine, a cloud API, a scheduler. It starts one instance when asked, stops
 * it when asked, and optionally answers health checks. It never implements timers, retries,
 * locking or state: the core serializes calls (a start and a stop of one worker never overlap,
 * and every start is followed by exactly one stop, also after a failed or aborted start).
 *
 * Write one in four steps: implement {@link ProviderV1}, declare its {@link ProviderCapabilities},
 * run `@latentci/test-kit`'s conformance suite, fix what it reports.
 */
export type SpecificationVersion = 'v1';

/** The contract versions this core implements. */
export const SUPPORTED_SPECIFICATION_VERSIONS: readonly SpecificationVersion[] = ['v1'];

/** What a provider can do beyond start/stop. The conformance suite picks its cases from these. */
export interface ProviderCapabilities {
  /** `checkInstance` is implemented: an instance that dies before its worker connects is detected. */
  readonly healthCheck: boolean;
  /** `renderStartSettings` is implemented: per-build renderable settings (image, size…) reach the backend and incompatible builds are refused. */
  readonly perBuildSettings: boolean;
  /** `listOrphans` and `reapOrphans` are implemented: instances left by a crashed master can be found and removed. */
  readonly orphanReaping: boolean;
  /** The provider reports the instance's output through `request.events.log` while it starts. */
  readonly startupLogs: boolean;
  /**
   * Optional (added to v1 compatibly): `checkInstance` answers `pending` reasons and
   * `retryable: false` (see {@link InstanceHealth}). Requires `healthCheck`. Absent means false.
   */
  readonly healthDetails?: boolean;
}

/** The master address the worker is told to connect to, parsed from `masterFQDN`. */
export interface MasterAddress {
  /** Host name or IP address; IPv6 addresses without brackets. */
  readonly host: string;
  /** Port given in `masterFQDN` (`host:port`); absent when only a host was given. */
  readonly port?: number;
}

/** Which master and worker own an instance. Providers label every resource they create with it. */
export interface InstanceOwner {
  /** Stable identifier of the master (for example its name or URL). */
  readonly masterId: string;
  /** `sha1(masterId)`, first 6 hex digits: Buildbot's master hash, used in instance names. */
  readonly masterHash: string;
  /** The worker's name. */
  readonly workerName: string;
}

/** Filter for orphan listing and reaping: every instance of a master, or of one of its workers. */
export interface OwnerFilter {
  readonly masterId: string;
  readonly workerName?: string;
}

/** Labels every instance carries so that orphans can be found: `io.latentci.managed`, `.master`, `.worker`. */
export const OWNER_LABELS = {
  managed: 'io.latentci.managed',
  master: 'io.latentci.master',
  worker: 'io.latentci.worker',
} as const;

/** Progress of a long preparation step (image pull, image build, app deployment). */
export interface InstanceProgress {
  /** What is in progress, e.g. `pull`, `build`, `deploy`. */
  readonly phase: string;
  /** Human-readable status line, e.g. `Downloading` or a build output line. */
  readonly status: string;
  /** Identifier of the item in progress (a layer id), when the backend reports one. */
  readonly id?: string;
  /** Bytes or units done so far, when known. */
  readonly current?: number;
  /** Bytes or units in all, when known. */
  readonly total?: number;
}

/** Where a provider reports what its instance prints and how its preparation progresses. */
export interface InstanceEventSink {
  /** One line of the instance's output (without the trailing newline). */
  log(line: string, stream?: 'stdout' | 'stderr'): void;
  /** A progress update of a preparation step. */
  progress(progress: InstanceProgress): void;
}

/** Everything the core decided for one start. Providers use it as given. */
export interface StartInstanceRequest {
  /** The worker's name (`WORKERNAME`). */
  readonly workerName: string;
  /** The worker's password (`WORKERPASS`). A secret: never log it. */
  readonly password: string;
  /** The parsed master address the worker must connect to. */
  readonly master: MasterAddress;
  /** The environment to inject into the instance: `BUILDMASTER`, `BUILDMASTER_PORT`, `BUILDMASTER_PROTOCOL`, `WORKERNAME`, `WORKERPASS`. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * The build's properties, for rendering renderable settings, with `workername` and the worker's
   * own `properties` set (source `Worker`). Only those when started without a build.
   */
  readonly properties: Properties;
  /** Who owns the instance, for labelling. */
  readonly owner: InstanceOwner;
  /** The instance name: Buildbot's `buildbot-<worker>-<masterhash>` with `_` replaced by `-`. */
  readonly instanceName: string;
  /** Labels to put on every resource created: {@link OWNER_LABELS} with their values. */
  readonly labels: Readonly<Record<string, string>>;
  /** Where to report instance output and preparation progress. */
  readonly events: InstanceEventSink;
}

/** A started instance, as the provider describes it. The core passes it back to `stopInstance` and `checkInstance`. */
export interface InstanceHandle {
  /** Backend identifier (container id, app id…). */
  readonly id: string;
  /** Backend name, when it has one. */
  readonly name?: string;
  // Anything else the provider needs to stop or check the instance goes in its own interface that
  // extends this one (`DockerInstance`, `HyperInstance`…). There is no index signature: it would
  // accept any misspelt property (`instance.nmae`) as `unknown` instead of refusing it.
}

/** What to stop. `instance` is absent when the start failed or was aborted before it returned. */
export interface StopTarget<Instance extends InstanceHandle = InstanceHandle> {
  /** The request of the start this stop follows: providers clean up by its `instanceName` when `instance` is absent. */
  readonly request: StartInstanceRequest;
  readonly instance?: Instance;
}

/**
 * The answer of a health check.
 *
 * Two optional fields (contract v1, added compatibly; declare `capabilities.healthDetails` when
 * your `checkInstance` uses them, so that the conformance suite checks them) fit backends that
 * accept an instance and place it later (schedulers: Swarm, Kubernetes, Marathon):
 * - `pending` on a healthy answer: the instance is accepted but not placed or running yet, and why
 *   (`"no node satisfies the constraint disk=ssd"`). The core reports it in the worker's
 *   `instance-pending` event and log, and in the `SubstantiationTimeoutError` if the worker never
 *   attaches. Omit it (or give an empty string) once the instance runs.
 * - `retryable: false` on an unhealthy answer: the instance can never work (an image missing on
 *   the node, a spec the scheduler refused). The start fails with `CannotSubstantiateError` (the
 *   build ends with an exception, and the worker is not quarantined: the next build, maybe with
 *   fixed settings, starts at once) instead of `WorkerCrashedError` (retried after the quarantine).
 */
export type InstanceHealth =
  | {
      readonly healthy: true;
      /** The instance is accepted but still waits for placement, and why. */
      readonly pending?: string | undefined;
    }
  | {
      readonly healthy: false;
      /** Why, with what helps diagnose it (Docker: exit code and the last 100 log lines). */
      readonly message: string;
      /** `false`: retrying cannot help, fail with `CannotSubstantiateError`. Default: retryable. */
      readonly retryable?: boolean | undefined;
    };

/** An instance found by orphan listing. */
export interface OrphanInstance {
  readonly id: string;
  readonly name?: string;
  readonly masterId: string;
  readonly workerName: string;
  /** Backend state, e.g. `running`, `exited`. */
  readonly state?: string;
}

/** Result of orphan reaping. */
export interface ReapResult {
  readonly removed: readonly OrphanInstance[];
  /** Instances that could not be removed, with the reason. */
  readonly failed: readonly { readonly instance: OrphanInstance; readonly message: string }[];
}

export interface SignalOptions {
  readonly signal: AbortSignal;
}

export interface StopOptions extends SignalOptions {
  /** Return as soon as it is safe: skip waiting for the instance to exit before removing it. */
  readonly fast: boolean;
}

/**
 * A latentci provider, contract version 1.
 *
 * Errors: throw `FailedToSubstantiateError` for infrastructure problems (retried, worker
 * quarantined), `CannotSubstantiateError` when the request itself cannot work (e.g. missing image:
 * not retried), `ConfigurationError` for invalid settings. Any other error is treated as
 * failed-to-substantiate. Abort errors from `signal` pass through.
 */
export interface ProviderV1<Instance extends InstanceHandle = InstanceHandle> {
  /** Always `'v1'` for this contract. */
  readonly specificationVersion: 'v1';
  /** The provider's name, e.g. `docker`. Used in logs and events. */
  readonly provider: string;
  /** What the provider implements beyond start and stop. */
  readonly capabilities: ProviderCapabilities;

  /**
   * Starts one instance that runs a worker with `request.environment`. Resolve once the backend
   * has accepted and started it (not when the worker attached: the core waits for that).
   * Honour `signal`: when it aborts, stop waiting and reject with its reason; the core then calls
   * `stopInstance` without an instance, so clean up by `request.instanceName`.
   *
   * A start never resolves "refused": it resolves an instance or rejects (throw
   * `FailedToSubstantiateError` for "not now"). The core turns a falsy resolution (a JavaScript
   * provider ported from Buildbot's `return False`) into `FailedToSubstantiateError` only as a
   * tolerance; the conformance suite fails it.
   */
  startInstance(request: StartInstanceRequest, options: SignalOptions): Promise<Instance>;

  /**
   * Stops and removes the instance (and anything created for it). Must succeed when the instance
   * is already gone and when `target.instance` is absent: a start can fail or be aborted after the
   * backend created something, so then remove whatever is named `request.instanceName` (or carries
   * the request's labels); doing nothing is only right when nothing exists.
   * Errors are logged by the core and do not change the lifecycle.
   */
  stopInstance(target: StopTarget<Instance>, options: StopOptions): Promise<void>;

  /**
   * Health check while the core waits for the worker to attach, every `checkInstanceInterval`.
   * Unhealthy fails the start fast with `WorkerCrashedError` "<worker name> latent worker crashed
   * before connecting: <message>" (`CannotSubstantiateError` when the answer says
   * `retryable: false`). A thrown error counts as unhealthy with the error's message.
   */
  checkInstance?(instance: Instance, options: SignalOptions): Promise<InstanceHealth>;

  /**
   * Renders every start-relevant setting with `properties` into a JSON-comparable value. The core
   * records it at start (from the build's properties, before adding the worker's) and re-renders
   * it for each new build: a running instance only takes builds whose rendering is structurally
   * equal (Buildbot's `isCompatibleWithBuild`). Forgotten when the instance is stopped. The core
   * always passes `options.signal` (optional in the type only so that providers written before it
   * still compile): a rendering that calls the backend stops when it aborts.
   */
  renderStartSettings?(properties: Properties, options?: SignalOptions): Promise<unknown>;

  /** Lists the instances labelled as owned by `owner` (running or not). */
  listOrphans?(owner: OwnerFilter, options: SignalOptions): Promise<readonly OrphanInstance[]>;

  /** Removes every instance labelled as owned by `owner`. */
  reapOrphans?(owner: OwnerFilter, options: SignalOptions): Promise<ReapResult>;
}

/** Any provider version this core accepts. A later v2 will be a union here, with v1 adapted. */
export type Provider<Instance extends InstanceHandle = InstanceHandle> = ProviderV1<Instance>;
