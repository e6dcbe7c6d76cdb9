// A CI master in Node: latentci as the worker layer of your own CI. It reads a job file (shell
// steps, artifacts), starts a Docker latent worker from a real buildbot-worker image, lets it log
// in over Buildbot's PB, runs the steps on it with live output, uploads the artifacts, prints a
// summary and exits with the job's result. Ctrl-C stops the job and removes the container.
//
//   tsx master.ts job.json [--artifacts <dir>]
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { dockerLatentWorker } from '@latentci/docker';
import { connectLatentWorker, startWorkerServer } from '@latentci/worker-protocol';

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

export interface RunJobOptions {
  /** Where artifacts go (default `./artifacts`). */
  readonly artifactsDirectory?: string;
  /** Owner of the containers (their `io.latentci.master` label). */
  readonly masterId?: string;
  readonly signal?: AbortSignal;
  readonly print?: (text: string) => void;
}

export const EXIT_CODES: Record<JobOutcome, number> = { success: 0, failure: 1, interrupted: 130 };

export async function runJob(job: Job, options: RunJobOptions = {}): Promise<JobResult> {
  const print = options.print ?? ((text: string) => process.stdout.write(text));
  const { signal } = options;
  const steps: JobResult['steps'][number][] = [];
  const artifacts: string[] = [];
  // Containers reach the host at 172.17.0.1 (Docker's default bridge): the master listens there.
  const server = await startWorkerServer({ pb: { host: '172.17.0.1', port: 0 } });
  const worker = dockerLatentWorker({
    name: `job-${job.name}`,
    masterId: options.masterId ?? 'node-master',
    image: job.image,
    masterFQDN: `172.17.0.1:${server.addresses.pb?.port}`,
    missingTimeout: 120,
    followStartupLogs: false,
  });
  const unwire = connectLatentWorker(server, worker);
  let outcome: JobOutcome = 'success';
  try {
    print(`▶ job ${job.name}: starting a worker from ${job.image}\n`);
    await worker.substantiate(undefined, signal ? { signal } : {});
    const connection = server.connection(worker.name);
    if (!connection) throw new Error('the worker attached but its connection is gone');
    const { version, host } = connection.info;
    print(
      `✓ worker ${worker.name} logged in (buildbot-worker ${version ?? '?'} on ${host?.trim() || 'a container'})\n`,
    );
    worker.buildStarted();
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
    worker.buildFinished({ result: outcome === 'success' ? 'SUCCESS' : 'FAILURE' });
  } catch (error) {
    if (!signal?.aborted) throw error;
    outcome = 'interrupted';
  } finally {
    await worker.shutdown();
    unwire();
    await server.close();
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
  const [file, ...rest] = argv;
  if (!file) {
    process.stderr.write('usage: tsx master.ts <job.json> [--artifacts <dir>]\n');
    return 2;
  }
  const job = JSON.parse(await readFile(file, 'utf8')) as Job;
  const artifactsIndex = rest.indexOf('--artifacts');
  const controller = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => controller.abort(new Error(name)));
  const result = await runJob(job, {
    signal: controller.signal,
    ...(artifactsIndex >= 0 && rest[artifactsIndex + 1] ? { artifactsDirectory: rest[artifactsIndex + 1] } : {}),
    ...(process.env.NODE_MASTER_ID ? { masterId: process.env.NODE_MASTER_ID } : {}),
  });
  return EXIT_CODES[result.outcome];
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
