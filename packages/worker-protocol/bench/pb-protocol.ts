import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startRealWorker } from '../src/testing/real-worker.js';
import { startWorkerServer } from '../src/worker-server.js';
import { startBuildbotMaster } from './buildbot-master.js';
import { PbRelay, type RelayConnection } from './pb-relay.js';

export interface BenchFigure {
  figure: string;
  unit: string;
  median: number;
  p95: number;
  floor?: { median: number; p95: number };
  ratio?: number;
  note?: string;
}

function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return (sorted[lower] as number) + ((sorted[upper] as number) - (sorted[lower] as number)) * (position - lower);
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const progress = (message: string) => console.error(`  · worker-protocol-pb: ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface MasterRun {
  logins: number[];
  noops: number[];
  streamMs: number;
  heapGrowthMb?: number;
}

function loginsOf(connections: readonly RelayConnection[]): number[] {
  return connections.flatMap((connection) =>
    connection.loggedInAt === undefined ? [] : [connection.loggedInAt - connection.acceptedAt],
  );
}

/** Reconnects the worker `times` times through the relay, for login samples. */
async function reconnects(relay: PbRelay, times: number): Promise<void> {
  for (let index = 0; index < times; index += 1) {
    const before = relay.connections.length;
    relay.dropAll();
    await until(
      () => relay.connections.length > before && relay.connections.at(-1)?.loggedInAt !== undefined,
      60_000,
      'a re-login',
    );
  }
}

async function runOurs(noopSteps: number, streamBytes: number, relogins: number): Promise<MasterRun> {
  const server = await startWorkerServer({ pb: { port: 0 } });
  server.addWorker({ name: 'bench', password: 'bench-pass' });
  const { relay, port } = await PbRelay.start(server.addresses.pb as { host: string; port: number });
  const worker = await startRealWorker({ host: '127.0.0.1', port, name: 'bench', password: 'bench-pass' });
  try {
    const connection = await server.waitForWorker('bench', { signal: AbortSignal.timeout(60_000) });
    progress('ours: worker attached');
    for (let index = 0; index < noopSteps; index += 1) await connection.runShell({ command: ['true'] });
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 10);
    let bytes = 0;
    await connection.runShell(
      { command: `head -c ${streamBytes} /dev/zero | base64` },
      {
        onOutput: (stream, text) => {
          if (stream === 'stdout') bytes += text.length;
        },
      },
    );
    clearInterval(sampler);
    progress('ours: streamed');
    if (bytes < (streamBytes * 4) / 3) throw new Error(`only ${bytes} bytes of output arrived`);
    await reconnects(relay, relogins);
    const commands = relay.connections[0]?.commands ?? [];
    const durations = commands.map((command) => (command.completedAt ?? Number.NaN) - command.startedAt);
    return {
      logins: loginsOf(relay.connections),
      noops: durations.slice(0, noopSteps),
      streamMs: durations[noopSteps] ?? Number.NaN,
      heapGrowthMb: (peak - baseline) / 2 ** 20,
    };
  } finally {
    await worker.stop();
    await server.close();
    await relay.close();
  }
}

async function runBuildbot(noopSteps: number, streamBytes: number, relogins: number): Promise<MasterRun> {
  const master = await startBuildbotMaster({ worker: 'bench', password: 'bench-pass', noopSteps, streamBytes });
  const { relay, port } = await PbRelay.start({ host: '127.0.0.1', port: master.port });
  const worker = await startRealWorker({ host: '127.0.0.1', port, name: 'bench', password: 'bench-pass' });
  progress('Buildbot master started');
  try {
    await until(
      () =>
        (relay.connections[0]?.commands.filter((command) => command.completedAt !== undefined).length ?? 0) >=
        noopSteps + 1,
      streamBytes > 10_000_000 ? 900_000 : 180_000,
      'the Buildbot build',
    );
    progress('Buildbot: build done');
    await reconnects(relay, relogins);
    const commands = relay.connections[0]?.commands ?? [];
    const durations = commands.map((command) => (command.completedAt ?? Number.NaN) - command.startedAt);
    return {
      logins: loginsOf(relay.connections),
      noops: durations.slice(0, noopSteps),
      streamMs: durations[noopSteps] ?? Number.NaN,
    };
  } finally {
    await worker.stop();
    await master.stop();
    await relay.close();
  }
}

/** Heap growth of our server per idle, logged-in PB connection (clients in a child process). */
export async function idleMemory(count: number): Promise<number> {
  const server = await startWorkerServer({ pb: { port: 0 }, maxPendingLogins: 200 });
  for (let index = 0; index < count; index += 1) {
    server.addWorker({ name: `idle-${index}`, password: 'idle-pass', builderDirectory: 'hello' });
  }
  const address = server.addresses.pb as { host: string; port: number };
  gc();
  await sleep(100);
  gc();
  const before = process.memoryUsage().heapUsed;
  const script = fileURLToPath(new URL('./idle-clients.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, address.host, String(address.port), String(count), 'idle-', 'idle-pass'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`idle clients exited with ${code}`)));
    });
    await until(() => server.connections.length === count, 30_000, `${count} idle connections`);
    await sleep(200);
    gc();
    await sleep(100);
    gc();
    const after = process.memoryUsage().heapUsed;
    return (after - before) / count / 1024;
  } finally {
    child.stdin.end();
    await server.close();
  }
}

/**
 * `pnpm bench` figures for PB: login latency and a no-op command round trip, ours vs the real
 * Buildbot 3.7 master with the same buildbot-worker (both measured by one relay); 100 MB output
 * streaming (ours vs Buildbot, with our heap growth); heap per idle connection.
 */
export async function measurePbProtocol(options: { quick: boolean }): Promise<BenchFigure[]> {
  const noopSteps = options.quick ? 3 : 10;
  const streamBytes = options.quick ? 7_500_000 : 75_000_000;
  const relogins = options.quick ? 1 : 5;
  const ours = await runOurs(noopSteps, streamBytes, relogins);
  const buildbot = await runBuildbot(noopSteps, streamBytes, relogins);
  const outputMb = (streamBytes * 4) / 3 / 1e6;
  const ourRate = outputMb / (ours.streamMs / 1000);
  const buildbotRate = outputMb / (buildbot.streamMs / 1000);
  progress('idle connections');
  await idleMemory(10); // warm-up: code and caches created by the first connections are not per connection
  const idleKb = await idleMemory(options.quick ? 20 : 200);
  const pair = (samples: readonly number[]) => ({ median: quantile(samples, 0.5), p95: quantile(samples, 0.95) });
  const versus = (
    figure: string,
    unit: string,
    mine: readonly number[],
    theirs: readonly number[],
    note: string,
  ): BenchFigure => {
    const a = pair(mine);
    const b = pair(theirs);
    return { figure, unit, ...a, floor: b, ratio: a.median / b.median, note };
  };
  return [
    versus(
      'login (TCP accept → login answered)',
      'ms',
      ours.logins,
      buildbot.logins,
      'floor = Buildbot 3.7 master; ratio < 1 is faster',
    ),
    versus(
      'no-op command round trip (startCommand → complete)',
      'ms',
      ours.noops,
      buildbot.noops,
      'shell `true`; floor = Buildbot 3.7 master',
    ),
    {
      figure: `output streaming (${Math.round(outputMb)} MB of base64)`,
      unit: 'MB/s',
      median: ourRate,
      p95: ourRate,
      floor: { median: buildbotRate, p95: buildbotRate },
      ratio: ourRate / buildbotRate,
      note: 'floor = Buildbot 3.7 master; goal ratio ≥ 3',
    },
    {
      figure: 'master heap growth while streaming',
      unit: 'MB',
      median: ours.heapGrowthMb ?? Number.NaN,
      p95: ours.heapGrowthMb ?? Number.NaN,
      note: 'goal ≤ 64 MB',
    },
    {
      figure: `heap per idle PB connection (${options.quick ? 20 : 200} clients)`,
      unit: 'KB',
      median: idleKb,
      p95: idleKb,
      note: 'goal ≤ 20 KB',
    },
  ];
}
