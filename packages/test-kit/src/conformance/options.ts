import type { LatentError, Logger, OwnerFilter, Provider, SignalOptions } from '@latentci/core';

/**
 * Registers one conformance case with your test runner: vitest's `it`, node:test's `test`, tape's
 * `test`… The suite calls it once per case, synchronously, while you call `conformanceSuite`.
 * `fn` rejects (an `AssertionError` from `node:assert`, or the provider's own error) when the case
 * fails. The adapters in `@latentci/test-kit/vitest` and `@latentci/test-kit/node-test` also pass
 * a timeout.
 */
export type TestRegistrar = (name: string, fn: () => Promise<void>) => void;

/**
 * Which worker a case needs from the backend:
 * - `attaching`: a worker that connects to `$BUILDMASTER:$BUILDMASTER_PORT` with `$WORKERNAME` /
 *   `$WORKERPASS` and then stays alive (the probe image, `ensureProbeImage()`).
 * - `crashing`: a worker that prints {@link PROBE_CRASH_MESSAGE} and exits 1 before connecting (the
 *   probe with `PROBE_EXIT_BEFORE_ATTACH`; `ensureProbeImage({ environment })` bakes it into a
 *   variant image). Only used when the provider declares `healthCheck`.
 * - `per-build`: settings with renderables that take their values from the build properties in
 *   {@link PerBuildScenario}. Only used when the provider declares `perBuildSettings`.
 * - `pending`: an instance the backend accepts but can never place (a node constraint nothing
 *   satisfies); `checkInstance` must answer `{ healthy: true, pending: '<why>' }`.
 * - `unplaceable`: an instance the backend accepts but that can never run (an image missing on
 *   the node); `checkInstance` must answer `{ healthy: false, message, retryable: false }`.
 *   `pending` and `unplaceable` are only used when the provider declares `healthDetails`.
 */
export type WorkerKind = 'attaching' | 'crashing' | 'per-build' | 'pending' | 'unplaceable';

/** What the crashing worker prints before it exits; `checkInstance` must report it. */
export const PROBE_CRASH_MESSAGE = 'latentci-probe: simulated crash before attaching';

/** An instance as the backend itself lists it (not as the provider remembers it). */
export interface BackendInstance {
  readonly id: string;
  readonly name?: string | undefined;
  /** Backend state, e.g. `running`, `exited`. */
  readonly state?: string | undefined;
  /**
   * The environment the backend gives the instance, when it can tell (Docker: `Config.Env`).
   * Used by the IPv6 case when the backend has no IPv6 route to the attach server.
   */
  readonly environment?: Readonly<Record<string, string>> | undefined;
}

/** A start the backend must refuse, and the typed error that must surface. */
export interface StartFailureScenario<Settings> {
  /** Settings whose start fails, e.g. an image that does not exist. */
  readonly settings: Settings;
  /** The class the error must be an instance of: `CannotSubstantiateError`, `FailedToSubstantiateError`, `ConfigurationError`. */
  readonly error: abstract new (
    ...args: never[]
  ) => LatentError;
  /** Why it fails, for the case name, e.g. `the image does not exist`. */
  readonly because: string;
}

/** Build properties for the per-build case. */
export interface PerBuildScenario {
  /** With these, the `per-build` settings render to a worker that starts and attaches. */
  readonly properties: Readonly<Record<string, unknown>>;
  /** These render to different start settings (a build with them needs another instance). */
  readonly otherProperties: Readonly<Record<string, unknown>>;
  /**
   * A value (from `properties`) that must appear in what `renderStartSettings(properties)` returns:
   * a substring check on its JSON (`JSON.stringify(rendered).includes(renderedValue)`), not a
   * check of one field.
   */
  readonly renderedValue: string;
}

/**
 * How the suite talks to your backend. Everything here is about the backend, not the provider
 * under test: where its instances reach the attach server, which settings give which worker, and
 * how to list what really exists there (the leak check must not trust the provider).
 */
export interface ConformanceBackend<Settings> {
  /** Shown in case names, e.g. `docker`. */
  readonly name: string;
  /**
   * The address instances use to reach the attach server: the `masterFQDN` host. Default
   * `172.17.0.1`, the Docker bridge gateway; `127.0.0.1` for local processes.
   */
  readonly masterHost?: string;
  /** The address the attach server listens on. Default: `masterHost`. */
  readonly listenHost?: string;
  /**
   * An IPv6 route from instances to the attach server, when the backend has one. Without it the
   * IPv6 case starts an instance with an (unreachable) IPv6 master and reads the environment the
   * backend gave it from {@link BackendInstance.environment}.
   */
  readonly ipv6?: { readonly masterHost: string; readonly listenHost?: string };
  /** Runs once before the first case (e.g. `ensureProbeImage()`). */
  setup?(): Promise<void>;
  /** Provider settings for a kind of worker; handed to `createProvider`. Must be synchronous. */
  workerSettings(kind: WorkerKind): Settings;
  /** A start that must fail, and how. */
  readonly startFailure: StartFailureScenario<Settings>;
  /** Required when the provider declares `perBuildSettings`. */
  readonly perBuild?: PerBuildScenario;
  /**
   * Every instance that exists on the backend for `owner` (labelled with it), running or not.
   * The suite calls it after each case: anything listed is a leak.
   */
  listInstances(owner: OwnerFilter, options: SignalOptions): Promise<readonly BackendInstance[]>;
}

/** What `createProvider` is told about the case it creates a provider for. */
export interface CaseContext {
  /** The case's id, e.g. `start-attach-stop`. */
  readonly caseId: string;
  /** The master id the case uses (unique per case), in case the provider wants it. */
  readonly masterId: string;
  /** Give it to your provider if it accepts a logger: the secrets case reads it. */
  readonly logger: Logger;
}

export interface ConformanceOptions<Settings> {
  /** Registers a case with your runner. */
  readonly test: TestRegistrar;
  /**
   * Returns a fresh provider configured with `settings` (from `backend.workerSettings`). Called
   * several times per case (two workers, a restarted master), and once while registering, to read
   * the declared capabilities. Must be synchronous and must not contact the backend.
   */
  readonly createProvider: (settings: Settings, context: CaseContext) => Provider;
  /** How to talk to the backend. */
  readonly backend: ConformanceBackend<Settings>;
  /** Seconds a worker may take to start and attach (`missingTimeout`). Default 60. */
  readonly attachTimeout?: number;
  /** Seconds the backend may take to remove instances before the leak check fails. Default 20. */
  readonly cleanupTimeout?: number;
  /**
   * Seconds any one call of a provider hook may take before its case fails as hung (the message
   * names the hook and how long it waited; the case's cleanup still runs, each step bounded by
   * this too). `startInstance` gets `attachTimeout` plus this. Default 30, so that a hang is
   * reported well within a runner's case timeout (`describeConformance`: 180 s).
   */
  readonly hookTimeout?: number;
  /**
   * The documented reason why the provider's `startInstance` cannot stop a backend call in flight
   * when its signal aborts (for example a client library without cancellation). With it, the
   * `abort-honoured` case prints a warning instead of failing. The core tolerates such a start
   * (it stops the instance once the start returns), but the start holds the worker meanwhile.
   */
  readonly startIgnoresAbort?: string;
  /** Prefix for case names. Default: `<provider> on <backend>`. */
  readonly name?: string;
  /**
   * Real-worker mode: the same cases with a real `buildbot-worker` and a real login. The attach
   * server answers Buildbot's PB (and msgpack_experimental_v7) with `@latentci/worker-protocol`
   * instead of the probe's protocol, so `backend.workerSettings('attaching')` and the per-build
   * settings must start a real buildbot-worker image (`ensureBuildbotWorkerImage()`). Default
   * `false`: the probe, which starts in well under a second.
   */
  readonly realWorker?: boolean;
}
