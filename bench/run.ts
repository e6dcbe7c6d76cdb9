/**
 * `pnpm bench`: every figure of latentci's performance, each with median, p95 and, where there is
 * one, the ratio to a floor measured in the same run on the same machine.
 *
 *   pnpm bench            the full run
 *   pnpm bench --quick    a short run (CI runs it so the benchmarks keep working; nothing is asserted)
 *   pnpm bench --json     machine-readable output
 *   pnpm bench --only docker-latency,render    a subset
 *
 * cli-startup runs the built CLI: `pnpm build` first.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { measureLifecycle } from '../packages/core/bench/lifecycle-throughput.js';
import { measureRenderThroughput } from '../packages/core/bench/render-throughput.js';
import { measureMarathonScale } from '../packages/marathon/bench/marathon-scale.js';
import { measureMsgpack } from '../packages/worker-protocol/bench/msgpack-throughput.js';
import { measurePbProtocol } from '../packages/worker-protocol/bench/pb-protocol.js';
import { measureCliStartup } from './cli-startup.js';
import { measureDockerConcurrency } from './docker-concurrency.js';
import { measureDockerLatency } from './docker-latency.js';
import { type Figure, formatTable } from './statistics.js';
import { measureWorkerPool } from './worker-pool.js';
import { measureWorkerPoolEcho } from './worker-pool-echo.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const quick = values.quick ?? false;

interface PackageFigure {
  figure: string;
  unit: string;
  median: number;
  p95: number;
}
const grouped = (group: string) => (figures: PackageFigure | PackageFigure[]) =>
  (Array.isArray(figures) ? figures : [figures]).map((figure): Figure => ({ group, ...figure }));

const benchmarks: Record<string, () => Promise<Figure[]>> = {
  render: () =>
    measureRenderThroughput({ quick }).then(
      grouped('render (peer = real Buildbot 3.7 in the same run, python3-buildbot)'),
    ),
  lifecycle: () => measureLifecycle({ quick }).then(grouped('lifecycle (in-memory provider)')),
  'marathon-scale': () => measureMarathonScale({ quick }).then(grouped('marathon scale (simulator, virtual runtime)')),
  // Loaded on demand: @kubernetes/client-node 2.x needs Node >= 22.19 and must not break the others.
  'kubernetes-scale': async () =>
    (await import('../packages/kubernetes/bench/kubernetes-scale.js'))
      .measureKubernetesScale({ quick })
      .then(grouped('kubernetes scale (simulator, virtual runtime)')),
  'cli-startup': () => measureCliStartup({ quick }),
  'docker-latency': () => measureDockerLatency({ quick }),
  'docker-concurrency': () => measureDockerConcurrency({ quick }),
  'worker-protocol-pb': () =>
    measurePbProtocol({ quick }).then(
      grouped('worker protocol PB (real buildbot-worker 3.7; floor = Buildbot 3.7 master)'),
    ),
  'worker-pool': () => measureWorkerPool({ quick }),
  'worker-pool-echo': () => measureWorkerPoolEcho({ quick }),
  msgpack: () => measureMsgpack({ quick }).then(grouped('msgpack (real buildbot-worker 3.7)')),
};

const selected = values.only ? values.only.split(',') : Object.keys(benchmarks);
const figures: Figure[] = [];
const failures: string[] = [];
for (const name of selected) {
  const run = benchmarks[name];
  if (!run) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(benchmarks).join(', ')}`);
    process.exit(2);
  }
  if (!values.json) console.error(`… ${name}`);
  try {
    figures.push(...(await run()));
  } catch (error) {
    failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const machine = {
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  node: process.version,
  quick,
};
if (values.json) {
  console.log(JSON.stringify({ machine, figures, failures }, null, 2));
} else {
  console.log(`\nmachine: ${machine.cpus}, ${machine.memory}, Node ${machine.node}${quick ? ' (quick run)' : ''}\n`);
  console.log(formatTable(figures));
  for (const failure of failures) console.log(`✗ ${failure}`);
}
if (failures.length > 0) process.exitCode = 1;
