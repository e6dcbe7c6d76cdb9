/** A snapshot of a pool (`pool.stats()`). Times in milliseconds. */
export interface WorkerPoolStats {
  /** Attached workers ready for a lease. */
  readonly idle: number;
  /** Workers starting (not attached yet). */
  readonly starting: number;
  readonly leased: number;
  /** Workers whose instance is being stopped (they still count toward `max`). */
  readonly stopping: number;
  /** `acquire()` calls waiting. */
  readonly waiting: number;
  /** Every worker of the pool now: idle + starting + leased + stopping, never above `max`. */
  readonly total: number;
  /** Starts that failed since the pool was created. */
  readonly failures: number;
  /** Leases handed out, and how many of them were served by a worker already idle. */
  readonly leases: number;
  readonly warmLeases: number;
  /** Time from `acquire()` to the lease, over the last 1000 leases. */
  readonly timeToLease: { readonly count: number; readonly p50: number; readonly p95: number };
  readonly backends: readonly BackendStats[];
}

export interface BackendStats {
  readonly name: string;
  readonly workers: number;
  readonly capacity: number;
  readonly quarantined: boolean;
  readonly failures: number;
}

const WINDOW = 1000;

/** The last {@link WINDOW} samples and their quantiles. */
export class SampleWindow {
  readonly #samples: number[] = [];

  add(sample: number): void {
    this.#samples.push(sample);
    if (this.#samples.length > WINDOW) this.#samples.shift();
  }

  summary(): { count: number; p50: number; p95: number } {
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
    return { count: sorted.length, p50: at(0.5), p95: at(0.95) };
  }
}
