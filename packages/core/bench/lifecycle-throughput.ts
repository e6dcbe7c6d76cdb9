/**
 * Lifecycle benchmark: how many full latent-worker cycles per second the core drives on the
 * in-memory provider, and how much heap an idle `LatentWorker` retains.
 *
 * Standalone: `npx tsx --expose-gc packages/core/bench/lifecycle-throughput.ts [--quick]`.
 * Figures come with a floor measured in the same run (the bare provider start+stop, no lifecycle),
 * so machines of different speed compare by ratio, never by absolute numbers.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { type Clock, LatentWorker, LatentWorkerState } from '../src/lifecycle/index.js';
import { Properties } from '../src/renderables/index.js';
import { InMemoryProvider } from '../src/testing.js';

export interface BenchFigure {
  figure: string;
  unit: string;
  median: number;
  p95: number;
}

/** Real timers, except that 0 ms timers (buildWaitTimeout 0) run on the next turn instead of after >= 1 ms. */
const benchClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, milliseconds) =>
    milliseconds <= 0 ? { immediate: setImmediate(callback) } : { timeout: setTimeout(callback, milliseconds) },
  clearTimeout: (handle) => {
    const timer = handle as { immediate?: NodeJS.Immediate; timeout?: NodeJS.Timeout };
    if (timer.immediate) clearImmediate(timer.immediate);
    if (timer.timeout) clearTimeout(timer.timeout);
  },
};

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function summarize(figure: string, unit: string, samples: readonly number[]): BenchFigure {
  return { figure, unit, median: percentile(samples, 0.5), p95: percentile(samples, 0.95) };
}

function stopped(worker: LatentWorker): Promise<void> {
  if (worker.state === LatentWorkerState.NOT_SUBSTANTIATED) return Promise.resolve();
  return new Promise((resolve) => {
    const unsubscribe = worker.on('state', ({ to }) => {
      if (to !== LatentWorkerState.NOT_SUBSTANTIATED) return;
      unsubscribe();
      resolve();
    });
  });
}

/** One full cycle: substantiate → attach → buildStarted → buildFinished → stopped (buildWaitTimeout 0). */
async function lifecycleCycles(cycles: number): Promise<number> {
  const provider = new InMemoryProvider();
  const worker = new LatentWorker({
    name: 'bench',
    masterId: 'bench-master',
    masterFQDN: 'master.invalid',
    provider,
    clock: benchClock,
    buildWaitTimeout: 0,
  });
  provider.onStarted = () => {
    worker.attached().catch(() => {});
  };
  const started = performance.now();
  for (let cycle = 0; cycle < cycles; cycle += 1) {
    await worker.substantiate(new Properties());
    worker.buildStarted();
    const done = stopped(worker);
    worker.buildFinished({ result: 'SUCCESS' });
    await done;
  }
  const seconds = (performance.now() - started) / 1000;
  await worker.shutdown();
  if (provider.startCount !== cycles || provider.stopCount !== cycles) {
    throw new Error(`bench: expected ${cycles} starts and stops, got ${provider.startCount}/${provider.stopCount}`);
  }
  return cycles / seconds;
}

/** The floor: the same provider started and stopped directly, without the lifecycle. */
async function bareProviderCycles(cycles: number): Promise<number> {
  const provider = new InMemoryProvider();
  const signal = new AbortController().signal;
  const request = {
    workerName: 'bench',
    password: 'bench-password',
    master: { host: 'master.invalid' },
    environment: {},
    owner: { masterId: 'bench-master', masterHash: '000000', workerName: 'bench' },
    instanceName: 'buildbot-bench-000000',
    labels: {},
    events: { log() {}, progress() {} },
  };
  const started = performance.now();
  for (let cycle = 0; cycle < cycles; cycle += 1) {
    const properties = new Properties();
    const instance = await provider.startInstance({ ...request, properties }, { signal });
    await new Promise<void>((resolve) => setImmediate(resolve));
    await provider.stopInstance({ request: { ...request, properties }, instance }, { fast: false, signal });
  }
  return cycles / ((performance.now() - started) / 1000);
}

function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  gc();
  return true;
}

/** Heap retained per idle (NOT_SUBSTANTIATED) worker, in bytes. */
function retainedHeapPerWorker(count: number): { bytes: number; exact: boolean } {
  const provider = new InMemoryProvider();
  const exact = collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const workers: LatentWorker[] = [];
  for (let index = 0; index < count; index += 1) {
    workers.push(
      new LatentWorker({
        name: `worker-${index}`,
        masterId: 'bench-master',
        masterFQDN: 'master.invalid',
        password: `password-${index}`,
        provider,
        clock: benchClock,
      }),
    );
  }
  collectGarbage();
  const after = process.memoryUsage().heapUsed;
  if (workers.length !== count) throw new Error('bench: workers were collected early');
  return { bytes: (after - before) / count, exact };
}

export async function measureLifecycle(options: { quick: boolean }): Promise<BenchFigure[]> {
  const samples = options.quick ? 5 : 15;
  const cycles = options.quick ? 200 : 1000;
  const workers = options.quick ? 1_000 : 10_000;

  // Warm-up, both alike, for a time rather than a number of cycles: V8 optimises on a background
  // thread, which gets little CPU on a loaded machine; measuring before that compares the
  // lifecycle's unoptimised code with an already optimised floor.
  const warmUntil = performance.now() + (options.quick ? 500 : 2000);
  do {
    await lifecycleCycles(Math.min(cycles, 200));
    await bareProviderCycles(Math.min(cycles, 200));
  } while (performance.now() < warmUntil);
  const lifecycle: number[] = [];
  const floor: number[] = [];
  const ratio: number[] = [];
  for (let sample = 0; sample < samples; sample += 1) {
    const bare = await bareProviderCycles(cycles);
    const full = await lifecycleCycles(cycles);
    floor.push(bare);
    lifecycle.push(full);
    ratio.push(full / bare);
  }

  const heap: number[] = [];
  let exact = true;
  for (let sample = 0; sample < (options.quick ? 3 : 5); sample += 1) {
    const measured = retainedHeapPerWorker(workers);
    heap.push(measured.bytes);
    exact &&= measured.exact;
  }

  return [
    summarize('lifecycle cycles per second (in-memory provider)', 'cycles/s', lifecycle),
    summarize('floor: bare provider start+stop per second', 'cycles/s', floor),
    summarize('lifecycle throughput / floor', 'ratio', ratio),
    summarize(
      `retained heap per idle worker (${workers} workers${exact ? '' : '; run with --expose-gc for exact figures'})`,
      'bytes',
      heap,
    ),
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  measureLifecycle({ quick }).then(
    (figures) => {
      for (const { figure, unit, median, p95 } of figures) {
        console.log(`${figure}: median ${median.toFixed(2)} ${unit}, p95 ${p95.toFixed(2)} ${unit}`);
      }
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
