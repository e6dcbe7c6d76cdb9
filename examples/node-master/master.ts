// A CI master in Node: latentci as the worker layer of your own CI. It reads job files (shell
// steps, artifacts), leases a worker from a warm pool of Docker latent workers running a real
// buildbot-worker image (logged in over Buildbot's PB before the job asks), runs the steps on it
// with live output, uploads the artifacts, prints a summary and exits with the jobs' result. While
// a job runs, the pool warms up the next job's worker. Ctrl-C stops the job and removes the containers.
//
//   tsx master.ts job.json [more-jobs.json …] [--artifacts <dir>]
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { WorkerPool } from '@latentci/core';
import { type DockerInstance, dockerLatentWorker } from '@latentci/docker';
import {
  connectLatentWorker,
  startWorkerServer,
  type WorkerConnection,
  type WorkerServer,
} from '@latentci/worker-protocol';

export interface JobStep {
  readonly name: string;
  /** A shell command (`/bin/sh -c`), run in the worker's build directory. */
  readonly run: string;
  /** Seconds the step may take (default 600). */
  readonly timeout?: number;
}

export interface Job {
  readonly name: string;
  /** A buildbot-worker image (e.g. test-kit's ensureBuildbotWorkerImage()). */
  readonly image: string;
  readonly steps: readonly JobStep[];
  /** Paths relative to the build directory, copied to the artifacts directory after the steps. */
  readonly artifacts?: readonly string[];
}

export type JobOutcome = 'success' | 'failure' | 'interrupted';

export interface JobResult {
  readonly outcome: JobOutcome;
  readonly steps: readonly { name: string; exitCode: number | null; seconds: number; timedOut: boolean }[];
  readonly artifacts: readonly string[];
}

export interface MasterOptions {
  /** The buildbot-worker image every worker of the pool runs. */
  readonly image: string;
  /** Owner of the containers (their `io.latentci.master` label). */
  readonly masterId?: string;
  /** Workers kept started and logged in before a job asks (default 1). */
  readonly idle?: number;
  /** Most workers at once (default 2). */
  readonly max?: number;
}

/** A PB worker server and a warm pool of Docker workers logging in to it. */
export interface Master {
  readonly image: string;
  readonly pool: WorkerPool<DockerInstance, WorkerConnection>;
  /** Stops every worker (their containers removed) and the server. */
  close(): Promise<void>;
}

export async function startMaster(options: MasterOptions): Promise<Master> {
  // Containers reach the host at 172.17.0.1 (Docker's default bridge): the master listens there.
  const server: WorkerServer = await startWorkerServer({ pb: { host: '172.17.0.1', port: 0 } });
  const unwire: (() => void)[] = [];
  const pool = new WorkerPool<DockerInstance, WorkerConnection>({
    namePrefix: 'job',
    idle: options.idle ?? 1,
    max: options.max ?? 2,
    // Each worker gets the password the pool generated for its name; its login is checked against it.
    createWorker: (name, { password }) => {
      const worker = dockerLatentWorker({
        name,
        password,
        masterId: options.masterId ?? 'node-master',
        image: options.image,
        masterFQDN: `172.17.0.1:${server.addresses.pb?.port}`,
        missingTimeout: 120,
        followStartupLogs: false,
      });
      unwire.push(connectLatentWorker(server, worker));
      return worker;
    },
  });
  return {
    image: options.image,
    pool,
    async close() {
      await pool.close();
      for (const each of unwire) each();
      await server.close();
    },
  };
}

export interface RunJobOptions {
  /** Where artifacts go (default `./artifacts`). */
  readonly artifactsDirectory?: string;
  /** Owner of the containers (their `io.latentci.master` label), for the master a job starts when none is given. */
  readonly masterId?: string;
  /** The master (pool) to lease the worker from; default: one started for this job (idle 0, max 1) and closed after it. */
  readonly master?: Master;
  readonly signal?: AbortSignal;
  readonly print?: (text: string) => void;
}

export const EXIT_CODES: Record<JobOutcome, number> = { success: 0, failure: 1, interrupted: 130 };

export async function runJob(job: Job, options: RunJobOptions = {}): Promise<JobResult> {
  const print = options.print ?? ((text: string) => process.stdout.write(text));
  const { signal } = options;
  const steps: JobResult['steps'][number][] = [];
  const artifacts: string[] = [];
  const master =
    options.master ??
    (await startMaster({
      image: job.image,
      idle: 0,
      max: 1,
      ...(options.masterId ? { masterId: options.masterId } : {}),
    }));
  if (master.image !== job.image) {
    throw new Error(`job ${job.name} wants the image ${job.image}, but this master's workers run ${master.image}`);
  }
  let lease: Awaited<ReturnType<Master['pool']['acquire']>> | undefined;
  let outcome: JobOutcome = 'success';
  try {
    const warm = master.pool.stats().idle > 0;
    print(`▶ job ${job.name}: ${warm ? 'leasing a warm worker' : 'starting a worker'} from ${job.image}\n`);
    lease = await master.pool.acquire(signal ? { signal } : {});
    const connection = lease.connection;
    const { version, host } = connection.info;
    print(`✓ worker ${lease.name} logged in (buildbot-worker ${version ?? '?'} on ${host?.trim() || 'a container'})\n`);
    for (const step of job.steps) {
      print(`── ${step.name}: ${step.run}\n`);
      const started = Date.now();
      const result = await connection.runShell(
        { command: step.run, timeout: null, maxTime: step.timeout ?? 600, logEnviron: false },
        {
          onOutput: (stream, text) => {
            if (stream !== 'header') print(text.replace(/^(?=.)/gm, stream === 'stderr' ? '  ! ' : '  │ '));
          },
          ...(signal ? { signal } : {}),
        },
      );
      const timedOut = /command timed out/.test(result.header);
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      steps.push({ name: step.name, exitCode: result.rc, seconds, timedOut });
      if (result.rc !== 0) {
        print(`✗ ${step.name} ${timedOut ? `timed out after ${step.timeout ?? 600}s` : `exited with ${result.rc}`}\n`);
        outcome = 'failure';
        break;
      }
    }
    if (outcome === 'success') {
      const directory = resolve(options.artifactsDirectory ?? 'artifacts');
      await mkdir(directory, { recursive: true });
      for (const path of job.artifacts ?? []) {
        const target = join(directory, basename(path));
        const bytes = await connection.uploadFile(join('build', path), target, signal ? { signal } : {});
        artifacts.push(target);
        print(`⇣ ${path} → ${target} (${bytes} bytes)\n`);
      }
    }
  } catch (error) {
    if (!signal?.aborted) throw error;
    outcome = 'interrupted';
  } finally {
    // The pool destroys a released worker (its container removed) and warms up a fresh one.
    await lease?.release({ result: outcome === 'success' ? 'SUCCESS' : 'FAILURE' });
    if (!options.master) await master.close();
  }
  print(`\n${summary(job, { outcome, steps, artifacts })}\n`);
  return { outcome, steps, artifacts };
}

function summary(job: Job, result: JobResult): string {
  const lines = result.steps.map(
    (step) =>
      `  ${step.exitCode === 0 ? '✓' : '✗'} ${step.name.padEnd(16)} ${String(step.seconds).padStart(6)}s  ${step.timedOut ? 'timed out' : `exit ${step.exitCode}`}`,
  );
  for (const step of job.steps.slice(result.steps.length)) lines.push(`  - ${step.name.padEnd(16)} skipped`);
  return [`job ${job.name}: ${result.outcome.toUpperCase()}`, ...lines].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const artifactsIndex = argv.indexOf('--artifacts');
  const artifactsDirectory = artifactsIndex >= 0 ? argv[artifactsIndex + 1] : undefined;
  const files =
    artifactsIndex < 0 ? [...argv] : argv.filter((_, index) => index < artifactsIndex || index > artifactsIndex + 1);
  if (files.length === 0) {
    process.stderr.write('usage: tsx master.ts <job.json> [more-jobs.json …] [--artifacts <dir>]\n');
    return 2;
  }
  const jobs = await Promise.all(files.map(async (file) => JSON.parse(await readFile(file, 'utf8')) as Job));
  const controller = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => controller.abort(new Error(name)));
  // One pool per image: while a job runs, the next job's worker is already starting (idle 1).
  const masters = new Map<string, Master>();
  let exitCode = 0;
  try {
    for (const job of jobs) {
      let master = masters.get(job.image);
      if (!master) {
        master = await startMaster({
          image: job.image,
          idle: jobs.filter((each) => each.image === job.image).length > 1 ? 1 : 0,
          max: 2,
          ...(process.env.NODE_MASTER_ID ? { masterId: process.env.NODE_MASTER_ID } : {}),
        });
        masters.set(job.image, master);
      }
      const result = await runJob(job, {
        master,
        signal: controller.signal,
        ...(artifactsDirectory ? { artifactsDirectory } : {}),
      });
      exitCode = Math.max(exitCode, EXIT_CODES[result.outcome]);
      if (result.outcome === 'interrupted') break;
    }
  } finally {
    await Promise.all([...masters.values()].map((master) => master.close()));
  }
  return exitCode;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename ?? '')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`node-master: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
