import type Docker from 'dockerode';
import type { MarathonApp } from './marathon-types.js';

/** Credentials the simulator demands: HTTP basic (plain Marathon) or a DC/OS token. */
export type MarathonSimulatorAuth =
  | { readonly user: string; readonly password: string; readonly realm?: string }
  | { readonly token: string };

/** One injected error answer. */
export interface InjectedError {
  /** Only requests with this method (`GET`, `POST`, `DELETE`); default any. */
  readonly method?: string;
  /** Only requests whose path (after the base path, without query) starts with this; default any. */
  readonly path?: string;
  /** The status to answer, e.g. 503. */
  readonly status: number;
  /** The JSON body; default Marathon's `{"message": …}` for the status. */
  readonly body?: unknown;
  /** How many matching requests get it; default every one. */
  readonly times?: number;
}

/** Faults injected into the simulator; `setFaults` replaces them at run time. */
export interface MarathonSimulatorFaults {
  /** Milliseconds added before every answer. */
  readonly latency?: number;
  /** Requests answered with an error instead of being served, first match wins. */
  readonly errors?: readonly InjectedError[];
  /** Every task launch fails with this message (`lastTaskFailure.message`), or the message the function returns for an app. */
  readonly failTasks?: string | ((app: MarathonApp) => string | undefined);
}

export interface MarathonSimulatorOptions {
  /** `docker` runs every app as a real container on the local engine; `virtual` runs nothing (scale tests). */
  readonly runtime: 'docker' | 'virtual';
  /** Address to listen on: `127.0.0.1` (default) or `172.17.0.1`. */
  readonly host?: string;
  /** Port; default 0 (any free port). */
  readonly port?: number;
  /** A base path before `/v2`, e.g. `/service/marathon` as on DC/OS. Default none. */
  readonly basePath?: string;
  /** Demand credentials; default none (Marathon's default). */
  readonly auth?: MarathonSimulatorAuth;
  /** Shortest time, in ms, a deployment stays in `/v2/deployments`. Default 200. */
  readonly deploymentDuration?: number;
  /** `--max_running_deployments`. Default 100 (Marathon's default). */
  readonly maxRunningDeployments?: number;
  /** The Docker engine for the `docker` runtime. Default `/var/run/docker.sock`. */
  readonly docker?: Docker | Docker.DockerOptions;
  /** Pull images missing on the engine (`docker` runtime). Default false: such tasks fail at once. */
  readonly pullImages?: boolean;
  /** Faults to start with. */
  readonly faults?: MarathonSimulatorFaults;
  /**
   * Strict test mode: called with every `POST /v2/apps` body; the errors it returns are recorded
   * (see `violations()`), the request is then served normally. Plug a JSON-schema validator here.
   */
  readonly validateAppDefinition?: (body: unknown) => readonly string[];
}

/** A request the simulator served, for asserting call sequences. */
export interface RecordedRequest {
  readonly method: string;
  /** Path after the base path, without query. */
  readonly path: string;
  readonly query: string;
  readonly status: number;
}

/** A `POST /v2/apps` body that `validateAppDefinition` rejected. */
export interface RecordedViolation {
  readonly body: unknown;
  readonly errors: readonly string[];
}
