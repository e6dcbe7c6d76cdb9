/** An error the simulator answers instead of handling a request (after verifying it). */
export interface InjectedError {
  /** HTTP status to answer, e.g. `500`, `503`, or `409`. */
  readonly status: number;
  /** Plain-text body (without the trailing newline). Default: Go's status text, e.g. `Internal Server Error`. */
  readonly message?: string;
  /** Only requests with this method (`GET`, `POST`, `DELETE`…). Default: any. */
  readonly method?: string;
  /** Only requests whose path (without the `/v1.23` prefix) equals this string or matches this expression. Default: any. */
  readonly path?: string | RegExp;
  /** How many matching requests get the error. Default: every one. */
  readonly times?: number;
}

/** Faults to inject, to test how a client copes. */
export interface HyperSimulatorFaults {
  /** Delay before answering each verified request, in milliseconds. */
  readonly latencyMs?: number;
  /** Offset of the simulator's clock from the real one, in milliseconds (positive: the server is ahead). */
  readonly clockSkewMs?: number;
  /** Errors to answer, the first matching one wins. */
  readonly errors?: readonly InjectedError[];
}

/** Live fault state: counts down `times` as injected errors are used. */
export class FaultState {
  #faults: HyperSimulatorFaults = {};
  #remaining = new Map<InjectedError, number>();

  set(faults: HyperSimulatorFaults): void {
    this.#faults = faults;
    this.#remaining = new Map((faults.errors ?? []).map((error) => [error, error.times ?? Number.POSITIVE_INFINITY]));
  }

  get latencyMs(): number {
    return this.#faults.latencyMs ?? 0;
  }

  get clockSkewMs(): number {
    return this.#faults.clockSkewMs ?? 0;
  }

  /** The injected error for this request, if any (and uses it up once). */
  take(method: string, path: string): InjectedError | undefined {
    for (const error of this.#faults.errors ?? []) {
      const remaining = this.#remaining.get(error) ?? 0;
      if (remaining <= 0) continue;
      if (error.method !== undefined && error.method.toUpperCase() !== method.toUpperCase()) continue;
      if (error.path !== undefined) {
        const matches = typeof error.path === 'string' ? error.path === path : error.path.test(path);
        if (!matches) continue;
      }
      this.#remaining.set(error, remaining - 1);
      return error;
    }
    return undefined;
  }
}
