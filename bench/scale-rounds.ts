/**
 * The scale benchmark every simulated backend shares: workers started and stopped through a
 * provider in rounds of concurrent workers, with start and stop latencies, throughput per round and
 * errors per round (nearest-rank percentiles).
 */
import { performance } from 'node:perf_hooks';
import { createStartInstanceRequest, type StartInstanceRequest } from '@latentci/core';

export interface ScaleFigure {
  figure: string;
  unit: string;
  median: number;
  p95: number;
}

/** The nearest-rank percentile of `values` (0 for none). */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? 0;
}

/** The start request of scale worker `index`. */
export function scaleRequest(index: number): StartInstanceRequest {
  return createStartInstanceRequest({
    workerName: `scale-${index}`,
    password: `bench-password-${index}`,
    masterId: 'bench-master',
    master: { host: '172.17.0.1', port: 9989 },
  });
}

export interface ScaleRoundsOptions<I> {
  readonly quick: boolean;
  /** Starts a worker; resolves when it counts as started. */
  readonly start: (request: StartInstanceRequest) => Promise<I>;
  /** Stops a worker; `instance` is undefined after a failed start (a fast cleanup). */
  readonly stop: (request: StartInstanceRequest, instance: I | undefined) => Promise<void>;
  /** What the figures say a start and a stop are. */
  readonly startFigure: (workers: number) => string;
  readonly stopFigure: string;
}

export interface ScaleRounds {
  readonly figures: ScaleFigure[];
  readonly workers: number;
  readonly errors: number;
  readonly firstError: string | undefined;
}

/** 1,000 workers (100 with `quick`) in rounds of 100 (20) concurrent workers. */
export async function measureScaleRounds<I>(options: ScaleRoundsOptions<I>): Promise<ScaleRounds> {
  const workers = options.quick ? 100 : 1000;
  const roundSize = options.quick ? 20 : 100;
  const startLatencies: number[] = [];
  const stopLatencies: number[] = [];
  const throughputs: number[] = [];
  const errorsPerRound: number[] = [];
  let firstError: string | undefined;
  for (let first = 0; first < workers; first += roundSize) {
    const indexes = Array.from({ length: Math.min(roundSize, workers - first) }, (_, offset) => first + offset);
    let errors = 0;
    const began = performance.now();
    await Promise.all(
      indexes.map(async (index) => {
        const request = scaleRequest(index);
        const started = performance.now();
        try {
          const instance = await options.start(request);
          startLatencies.push(performance.now() - started);
          const stopping = performance.now();
          await options.stop(request, instance);
          stopLatencies.push(performance.now() - stopping);
        } catch (error) {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
          await options.stop(request, undefined);
        }
      }),
    );
    throughputs.push(indexes.length / ((performance.now() - began) / 1000));
    errorsPerRound.push(errors);
  }
  const figures: ScaleFigure[] = [
    {
      figure: options.startFigure(workers),
      unit: 'ms',
      median: percentile(startLatencies, 0.5),
      p95: percentile(startLatencies, 0.95),
    },
    {
      figure: options.stopFigure,
      unit: 'ms',
      median: percentile(stopLatencies, 0.5),
      p95: percentile(stopLatencies, 0.95),
    },
    {
      figure: `throughput, rounds of ${roundSize} concurrent workers`,
      unit: 'workers/s',
      median: percentile(throughputs, 0.5),
      p95: percentile(throughputs, 0.95),
    },
    {
      figure: 'errors per round',
      unit: 'count',
      median: percentile(errorsPerRound, 0.5),
      p95: Math.max(0, ...errorsPerRound),
    },
  ];
  return { figures, workers, errors: errorsPerRound.reduce((sum, count) => sum + count, 0), firstError };
}

/** Prints figures as `pnpm bench` does for one benchmark run on its own. */
export function printScaleFigures(figures: readonly ScaleFigure[]): void {
  for (const figure of figures) {
    console.log(
      `${figure.figure}: median ${figure.median.toFixed(1)} ${figure.unit}, p95 ${figure.p95.toFixed(1)} ${figure.unit}`,
    );
  }
}
