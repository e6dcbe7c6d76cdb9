/**
 * Renderable benchmark: how many renders per second the core performs on a fixed corpus of
 * realistic renderables (Docker/Marathon-style settings, names, nested alternatives, positional
 * formats), rendered against a build's properties.
 *
 * Standalone: `npx tsx packages/core/bench/render-throughput.ts [--quick]` prints the figure and,
 * for scale, a floor measured in the same run: the same strings built with template literals.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Interpolate, Properties, Property, render, renderer, Transform } from '../src/renderables/index.js';

export interface RenderFigure {
  figure: string;
  unit: string;
  median: number;
  p95: number;
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

/** Renders per second over the corpus; median and p95 over the repetitions. */
export async function measureRenderThroughput(options: { quick: boolean }): Promise<RenderFigure> {
  const samples = await sample(options, false);
  return {
    figure: `renders per second (corpus of ${corpus().length} realistic renderables)`,
    unit: 'renders/s',
    median: percentile(samples, 0.5),
    p95: percentile(samples, 0.95),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const show = ({ figure, unit, median, p95 }: RenderFigure) =>
    console.log(`${figure}: median ${median.toFixed(0)} ${unit}, p95 ${p95.toFixed(0)} ${unit}`);
  const result = await measureRenderThroughput({ quick });
  show(result);
  const floor = await sample({ quick }, true);
  show({
    figure: 'floor: the same values built with template literals',
    unit: 'values/s',
    median: percentile(floor, 0.5),
    p95: percentile(floor, 0.95),
  });
  console.log(`renderables / floor: ${(result.median / percentile(floor, 0.5)).toFixed(3)}`);
}
