/**
 * Renderable benchmark: renders per second, latentci against real Buildbot 3.7 in the same run.
 *
 * Two corpora, each rendered by both implementations against the same properties:
 * - a generated Interpolate corpus: the differential fuzzer's keyword-form cases
 *   (fuzz/differential-interpolate.ts) plus positional-form cases, kept when Buildbot renders them
 *   and latentci renders exactly the same text (checked here, every run);
 * - the realistic corpus below (Docker/Marathon-style settings, names, nested alternatives,
 *   positional formats, Property, Transform, renderer, a settings dict).
 * Each is measured twice: renderables built beforehand ("render"), and built then rendered
 * ("construct + render").
 *
 * Like with like: Buildbot runs in a Python process (Debian's python3-buildbot,
 * bench/buildbot-render.py) and renders with `Properties.render`, reading the result with
 * `addCallback` — its Deferreds have already fired for these plain values, so that is Buildbot's
 * cheapest way to the result. latentci renders with its public `render()` and awaits each result
 * (one promise and one microtask per render, which Buildbot does not pay). Samples alternate
 * between the two processes (Buildbot, then latentci, same corpus and mode) so that load on the
 * machine hits both alike; each sample renders the corpus over and over for a fixed time. Rates
 * are renders per second of CPU time of the whole process (on both sides; Node's GC and compiler
 * threads count against latentci): on a shared machine, wall-clock rates mostly measure the
 * scheduler. Each side is warmed up for a time (V8 optimises on a background thread) first.
 *
 * Standalone: `npx tsx packages/core/bench/render-throughput.ts [--quick]` prints the figures and,
 * for scale, a floor measured in the same run: the realistic values built with template literals.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { buildbotAvailable, caseArbitrary, type InterpolateCase } from '../fuzz/differential-interpolate.js';
import { askPython, encodePython, pythonExecutable } from '../fuzz/python-oracle.js';
import { ConfigurationError } from '../src/errors.js';
import { Interpolate, Properties, Property, render, renderer, Transform } from '../src/renderables/index.js';

export interface RenderFigure {
  figure: string;
  unit: string;
  median: number;
  p95: number;
  /** Buildbot's figure, measured in the same run. */
  floor?: { median: number; p95: number };
  /** latentci / Buildbot (medians). */
  ratio?: number;
  note?: string;
}

function buildProperties(): Properties {
  const properties = new Properties({
    sourceStamps: [
      { codebase: 'app', repository: 'https://git.example.com/app.git', revision: 'a1b2c3d', branch: 'main' },
    ],
    workerInfo: { os_id: 'debian', host: 'ci-7' },
  });
  properties.update(
    {
      buildername: 'linux-x86_64',
      buildnumber: 1234,
      builder: 'docker_worker',
      project: 'proj1',
      image: 'busybox:latest',
      distro: 'bookworm',
      one: 'proj1',
      two: 'proj2',
      tags: ['nightly', 'x86'],
      debug: false,
    },
    'bench',
  );
  return properties;
}

/** The corpus: each entry is one render. */
function corpus(): unknown[] {
  return [
    new Interpolate('buildbot-%(prop:buildername)s-%(prop:buildnumber)s'),
    new Interpolate('tcp://value-%(prop:builder)s'),
    new Interpolate('/data:/worker/%(kw:builder)s/build', { builder: new Property('builder') }),
    new Interpolate("echo '%(prop:project:?|%(prop:one)s|%(prop:two)s)s'"),
    new Interpolate('%(src:app:repository)s@%(src:app:revision)s (%(src:app:branch:-detached)s)'),
    new Interpolate('FROM debian:%(kw:distro)s\nRUN apt-get update', { distro: new Property('distro') }),
    new Interpolate('%(prop:image:~busybox:latest)s'),
    new Interpolate('%s-%05d-%s', new Property('buildername'), new Property('buildnumber'), new Property('tags')),
    new Interpolate('worker on %(worker:os_id)s/%(worker:host)s, debug=%(prop:debug:#?|on|off)s'),
    new Property('image'),
    new Property('missing', 'default-value'),
    new Property('buildnumber').add(1),
    new Transform(
      (name: string, number: number) => `${name}#${number}`,
      new Property('buildername'),
      new Property('buildnumber'),
    ),
    renderer((properties) => `r-${properties.getProperty('builder')}`),
    {
      image: new Property('image'),
      volumes: ['/tmp:/tmp:ro', new Interpolate('/cache/%(prop:builder)s:/cache')],
      hostconfig: { network_mode: 'bridge', dns: ['1.1.1.1'], label: new Interpolate('%(prop:project)s') },
      environment: { BUILD: new Interpolate('%(prop:buildnumber)s') },
    },
  ];
}

/** The same outputs written by hand: what the corpus costs without renderables. */
function handWritten(properties: Properties): unknown[] {
  const p = (name: string): unknown => properties.getProperty(name);
  return [
    `buildbot-${p('buildername')}-${p('buildnumber')}`,
    `tcp://value-${p('builder')}`,
    `/data:/worker/${p('builder')}/build`,
    `echo '${properties.hasProperty('project') ? p('one') : p('two')}'`,
    `${properties.getSourceStamp('app')?.repository}@${properties.getSourceStamp('app')?.revision} (main)`,
    `FROM debian:${p('distro')}\nRUN apt-get update`,
    `${p('image') || 'busybox:latest'}`,
    `${p('buildername')}-${String(p('buildnumber')).padStart(5, '0')}-${p('tags')}`,
    `worker on ${properties.workerInfo.os_id}/${properties.workerInfo.host}, debug=${p('debug') ? 'on' : 'off'}`,
    p('image'),
    p('missing') || 'default-value',
    (p('buildnumber') as number) + 1,
    `${p('buildername')}#${p('buildnumber')}`,
    `r-${p('builder')}`,
    {
      image: p('image'),
      volumes: ['/tmp:/tmp:ro', `/cache/${p('builder')}:/cache`],
      hostconfig: { network_mode: 'bridge', dns: ['1.1.1.1'], label: `${p('project')}` },
      environment: { BUILD: `${p('buildnumber')}` },
    },
  ];
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

async function rendersPerSecond(items: readonly unknown[], properties: Properties, renders: number): Promise<number> {
  const started = performance.now();
  for (let index = 0; index < renders; index += 1) await render(items[index % items.length], properties);
  return renders / ((performance.now() - started) / 1000);
}

async function handWrittenPerSecond(properties: Properties, renders: number): Promise<number> {
  const started = performance.now();
  const perRound = handWritten(properties).length;
  let sink = 0;
  for (let index = 0; index < renders; index += perRound)
    sink += (await Promise.resolve(handWritten(properties))).length;
  if (sink === 0) throw new Error('bench: nothing was built');
  return renders / ((performance.now() - started) / 1000);
}

async function sample(options: { quick: boolean }, floor: boolean): Promise<number[]> {
  const properties = buildProperties();
  const items = corpus();
  const repetitions = options.quick ? 5 : 15;
  const renders = options.quick ? 3_000 : 20_000;
  const measure = () =>
    floor ? handWrittenPerSecond(properties, renders) : rendersPerSecond(items, properties, renders);
  await measure(); // warm-up
  const samples: number[] = [];
  for (let repetition = 0; repetition < repetitions; repetition += 1) samples.push(await measure());
  return samples;
}

/** Positional-form cases: `%s`-style conversions with values that suit them. */
const NUMERIC = new Set(['%d', '%i', '%x', '%05d', '%.2f']);
const conversion = fc.constantFrom('%s', '%s', '%r', '%d', '%5s', '%-4s', '%.1s', '%x', '%05d', '%a', '%i', '%.2f');
const positionalArbitrary: fc.Arbitrary<InterpolateCase> = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('x', ' ', '-', ':', '%%', 'é', '/', 'build') },
      { weight: 2, arbitrary: conversion },
    ),
    {
      minLength: 1,
      maxLength: 6,
    },
  )
  .filter((parts) => parts.some((part) => part !== '%%' && part.startsWith('%')))
  .chain((parts) => {
    const conversions = parts.filter((part) => part !== '%%' && part.startsWith('%'));
    const values = conversions.map((item) =>
      NUMERIC.has(item)
        ? fc.constantFrom<unknown>(0, 1, -3, 42, 1234)
        : fc.oneof(
            fc.constantFrom<unknown>('', 'v', "it's", 'é', 'so long!'),
            fc.constantFrom<unknown>(0, 7, 2.5),
            fc.boolean(),
            fc.constant(null),
            fc.constant(['a', 1]),
          ),
    );
    return fc.tuple(...values).map((args) => ({
      format: parts.join(''),
      args,
      properties: {},
      sourcestamps: [],
      workerinfo: {},
    }));
  });

interface GeneratedCase {
  readonly item: InterpolateCase;
  readonly properties: Properties;
}

function build(item: InterpolateCase): Interpolate {
  return item.args !== undefined
    ? new Interpolate(item.format, ...item.args)
    : new Interpolate(item.format, item.kwargs ?? {});
}

function casePropertiesOf(item: InterpolateCase): Properties {
  const properties = new Properties({ sourceStamps: item.sourcestamps, workerInfo: item.workerinfo });
  properties.update(item.properties, 'bench');
  return properties;
}

/**
 * The generated corpus: the cases Buildbot renders (its answers from the fuzzer's oracle) that
 * latentci renders to exactly the same text. `mismatches` counts those it does not (expected 0).
 */
async function generatedCorpus(
  quick: boolean,
): Promise<{ cases: GeneratedCase[]; refused: number; mismatches: number }> {
  const keyword = fc.sample(caseArbitrary, { numRuns: quick ? 600 : 2000, seed: 20261207 });
  const positional = fc.sample(positionalArbitrary, { numRuns: quick ? 150 : 500, seed: 20261208 });
  const candidates = [...keyword, ...positional];
  const answers = askPython('./buildbot-interpolate-oracle.py', candidates) as ({ ok: string } | object)[];
  const cases: GeneratedCase[] = [];
  let refused = 0;
  let mismatches = 0;
  for (const [index, item] of candidates.entries()) {
    const answer = answers[index];
    if (!answer || !('ok' in answer)) continue;
    let ours: unknown;
    try {
      ours = await render(build(item), casePropertiesOf(item));
    } catch (error) {
      // The documented deviations (core README): formats Buildbot renders that latentci refuses.
      if (error instanceof ConfigurationError) refused += 1;
      else mismatches += 1;
      continue;
    }
    if (ours === answer.ok) cases.push({ item, properties: casePropertiesOf(item) });
    else mismatches += 1;
  }
  return { cases, refused, mismatches };
}

type Corpus = 'generated' | 'realistic';
type Mode = 'render' | 'construct';

/** Buildbot's side: a Python process that renders a corpus for a given time when asked. */
class BuildbotRenderer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    this.#lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(cases: readonly GeneratedCase[]): Promise<{ buildbot: BuildbotRenderer; realistic: unknown }> {
    const script = fileURLToPath(new URL('./buildbot-render.py', import.meta.url));
    const child = spawn(pythonExecutable(), [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const buildbot = new BuildbotRenderer(child);
    child.stdin.write(`{"cases":[${cases.map(({ item }) => encodePython(item)).join(',')}]}\n`);
    const ready = await buildbot.#next().catch((error: unknown) => {
      throw new Error(`bench/buildbot-render.py failed: ${stderr || String(error)}`);
    });
    return { buildbot, realistic: (ready as { realistic: unknown }).realistic };
  }

  async #next(): Promise<unknown> {
    const line = await this.#lines.next();
    if (line.done) throw new Error('the Buildbot process ended');
    return JSON.parse(line.value);
  }

  /** Renders per CPU second, rendering for `seconds`. */
  async sample(corpus: Corpus, mode: Mode, seconds: number): Promise<number> {
    this.#child.stdin.write(`${JSON.stringify({ corpus, mode, seconds })}\n`);
    const { renders, cpu } = (await this.#next()) as { renders: number; cpu: number };
    return renders / cpu;
  }

  close(): void {
    this.#child.stdin.end();
    this.#child.kill();
  }
}

/** latentci's side of one sample: renders per CPU second, rendering for `seconds`, each render awaited. */
async function oursSample(round: () => Promise<number>, seconds: number): Promise<number> {
  let renders = 0;
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  do {
    renders += await round();
  } while (performance.now() - started < seconds * 1000);
  const cpu = process.cpuUsage(cpuStarted);
  return renders / ((cpu.user + cpu.system) / 1e6);
}

function oursRounds(cases: readonly GeneratedCase[]): Record<`${Corpus} ${Mode}`, () => Promise<number>> {
  const built = cases.map(({ item }) => build(item));
  const realisticProperties = buildProperties();
  const realisticBuilt = corpus();
  let sink: unknown;
  return {
    'generated render': async () => {
      for (let index = 0; index < built.length; index += 1) {
        sink = await render(built[index], (cases[index] as GeneratedCase).properties);
      }
      return built.length;
    },
    'generated construct': async () => {
      for (const { item, properties } of cases) sink = await render(build(item), properties);
      return cases.length;
    },
    'realistic render': async () => {
      for (const item of realisticBuilt) sink = await render(item, realisticProperties);
      return realisticBuilt.length;
    },
    'realistic construct': async () => {
      const items = corpus();
      for (const item of items) sink = await render(item, realisticProperties);
      if (sink === Symbol.for('never')) throw new Error('unreachable');
      return items.length;
    },
  };
}

function summary(samples: readonly number[]): { median: number; p95: number } {
  // Renders per second: the p95 is the slow end (the 5th percentile of the rate).
  return { median: percentile(samples, 0.5), p95: percentile(samples, 0.05) };
}

/** Renders per second, latentci and Buildbot 3.7, on the generated and the realistic corpus. */
export async function measureRenderThroughput(options: { quick: boolean }): Promise<RenderFigure[]> {
  const seconds = options.quick ? 0.1 : 0.4;
  const samples = options.quick ? 3 : 9;
  if (!buildbotAvailable()) {
    const rounds = oursRounds([]);
    const ours: number[] = [];
    for (let index = 0; index < samples; index += 1) ours.push(await oursSample(rounds['realistic render'], seconds));
    return [
      {
        figure: `render, realistic corpus (${corpus().length} renderables), built beforehand`,
        unit: 'renders/CPU-s',
        ...summary(ours),
        note: 'Buildbot not installed (bash scripts/test-prerequisites.sh): no comparison',
      },
    ];
  }
  const { cases, refused, mismatches } = await generatedCorpus(options.quick);
  if (mismatches > 0) {
    throw new Error(`${mismatches} generated cases render differently from Buildbot: run the differential tests`);
  }
  const { buildbot, realistic } = await BuildbotRenderer.start(cases);
  try {
    const oursRealistic = await Promise.all(corpus().map((item) => render(item, buildProperties())));
    if (JSON.stringify(oursRealistic) !== JSON.stringify(realistic)) {
      throw new Error(
        `the realistic corpus renders differently: latentci ${JSON.stringify(oursRealistic)}, Buildbot ${JSON.stringify(realistic)}`,
      );
    }
    const rounds = oursRounds(cases);
    const runs: [Corpus, Mode, string][] = [
      [
        'generated',
        'render',
        `Interpolate render, built beforehand (${cases.length} generated cases, kwargs and positional)`,
      ],
      ['generated', 'construct', `Interpolate construct + render (same ${cases.length} cases)`],
      ['realistic', 'render', `render, realistic corpus (${corpus().length} renderables), built beforehand`],
      ['realistic', 'construct', `construct + render, realistic corpus (${corpus().length} renderables)`],
    ];
    const figures: RenderFigure[] = [];
    for (const [corpusName, mode, figure] of runs) {
      const round = rounds[`${corpusName} ${mode}`];
      await oursSample(round, options.quick ? 0.5 : 2); // warm-up
      await buildbot.sample(corpusName, mode, options.quick ? 0.5 : 2);
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let index = 0; index < samples; index += 1) {
        theirs.push(await buildbot.sample(corpusName, mode, seconds));
        ours.push(await oursSample(round, seconds));
      }
      const mine = summary(ours);
      const peer = summary(theirs);
      figures.push({
        figure,
        unit: 'renders/CPU-s',
        ...mine,
        floor: peer,
        ratio: mine.median / peer.median,
        note: `floor = Buildbot 3.7, same run; ratio = latentci / Buildbot${corpusName === 'generated' ? `; ${refused} cases latentci refuses by design left out` : ''}`,
      });
    }
    return figures;
  } finally {
    buildbot.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  for (const { figure, unit, median, floor, ratio } of await measureRenderThroughput({ quick })) {
    console.log(
      `${figure}: latentci ${median.toFixed(0)} ${unit}${floor ? `, Buildbot ${floor.median.toFixed(0)} ${unit}, ${ratio?.toFixed(1)}×` : ''}`,
    );
  }
  const floor = await sample({ quick }, true);
  console.log(
    `floor: the realistic values built with template literals: ${percentile(floor, 0.5).toFixed(0)} values/s`,
  );
}
