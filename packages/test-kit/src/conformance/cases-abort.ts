import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { type Provider, SubstantiationCancelledError } from '@latentci/core';
import type { AttachServer } from '../attach/attach-server.js';
import type { ConformanceCase } from './cases.js';
import { type CaseHarness, type DirectStart, sleep, withTimeout } from './harness.js';

/** A resolution this soon after the abort is a race the provider could not see coming, not a fault. */
const RESOLVE_RACE_MS = 20;
/** How many evenly spaced abort points the leak-race sweep tries across a measured start. */
const SWEEP_POINTS = 12;

/** How long an unaborted start takes, and when (ms after the call) it reported its phases. */
interface MeasuredStart {
  readonly durationMs: number;
  /** Offsets of the progress and log events reported before the start resolved. */
  readonly phases: readonly number[];
}

/** Where an abort lands: `at` ms after the call, or synchronously inside the n-th reported event. */
type AbortPoint = { readonly at: number } | { readonly onEvent: number };

function describePoint(point: AbortPoint, measured: MeasuredStart): string {
  const whole = `a full start takes ${measured.durationMs.toFixed(1)} ms`;
  if ('at' in point) return `${point.at.toFixed(1)} ms into the start (${whole})`;
  return `while the provider reported event #${point.onEvent + 1} of its start (progress or log, ${whole})`;
}

/** Starts once without aborting, measuring the start's phases; stops it again. */
async function measureStart<Settings>(
  h: CaseHarness<Settings>,
  provider: Provider,
  server: AttachServer,
): Promise<MeasuredStart> {
  const phases: number[] = [];
  const began = performance.now();
  let resolved = false;
  const request = h.request(
    h.workerName(),
    h.password(),
    { host: h.masterHost, masterPort: server.port },
    undefined,
    () => {
      if (!resolved) phases.push(performance.now() - began);
    },
  );
  const start = await h.startDirect(provider, request);
  resolved = true;
  const durationMs = performance.now() - began;
  await h.stopDirect(start);
  return { durationMs, phases };
}

interface AbortedStart {
  readonly start: DirectStart | undefined;
  /** ms after the call when the signal aborted (undefined: the start settled first). */
  readonly abortedAt: number | undefined;
  readonly settledAt: number;
  readonly outcome: 'resolved' | 'rejected';
  readonly error?: unknown;
}

/** One start aborted at `point`; resolves once it settled (within `attachTimeout` + 30 s). */
async function startAndAbort<Settings>(
  h: CaseHarness<Settings>,
  provider: Provider,
  server: AttachServer,
  point: AbortPoint,
): Promise<AbortedStart> {
  const controller = new AbortController();
  const reason = new SubstantiationCancelledError('conformance: start aborted');
  let began = 0;
  let abortedAt: number | undefined;
  let events = 0;
  const abort = () => {
    if (controller.signal.aborted) return;
    abortedAt = performance.now() - began;
    controller.abort(reason);
  };
  const request = h.request(
    h.workerName(),
    h.password(),
    { host: h.masterHost, masterPort: server.port },
    undefined,
    () => {
      if ('onEvent' in point && events++ === point.onEvent) abort();
    },
  );
  let settled = false;
  let settledAt = 0;
  began = performance.now();
  const starting = h.startDirect(provider, request, controller.signal).finally(() => {
    settled = true;
    settledAt = performance.now() - began;
  });
  if ('at' in point) {
    sleep(point.at).then(() => {
      if (!settled) abort();
    });
  }
  const [result] = await Promise.allSettled([
    withTimeout(starting, h.attachTimeoutMs + 30_000, 'the aborted startInstance'),
  ]);
  if (!settled) settledAt = performance.now() - began;
  const start = h.directStarts.find((candidate) => candidate.request === request);
  if (result?.status === 'fulfilled') return { start, abortedAt, settledAt, outcome: 'resolved' };
  return { start, abortedAt, settledAt, outcome: 'rejected', error: result?.reason };
}

/** Whether the backend (and `listOrphans`, when capable) still has anything of `workerName`. */
async function leftovers<Settings>(h: CaseHarness<Settings>, workerName: string): Promise<string[]> {
  const { listed, orphans } = await h.remains({ masterId: h.masterId, workerName });
  return [
    ...listed.map(
      (instance) => `${instance.name ?? instance.id} (${instance.state ?? 'unknown state'}, listed by the backend)`,
    ),
    ...orphans.map(
      (orphan) => `${orphan.name ?? orphan.id} (${orphan.state ?? 'unknown state'}, reported by listOrphans)`,
    ),
  ];
}

/** Polls until nothing of `workerName` is left, up to `cleanupTimeout`; returns what is left. */
export async function waitUntilGone<Settings>(h: CaseHarness<Settings>, workerName: string): Promise<string[]> {
  const deadline = Date.now() + h.cleanupTimeoutMs;
  for (;;) {
    const left = await leftovers(h, workerName);
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(200);
  }
}

export const ABORT_CASES: readonly ConformanceCase[] = [
  {
    id: 'abort-honoured',
    title: "a start whose signal aborts while the backend call is in flight rejects promptly with the signal's reason",
    rule: 'startInstance signal',
    async run(h) {
      const server = await h.server();
      const provider = h.provider();
      const measured = await measureStart(h, provider, server);
      // Timed points only: an abort inside a reported event may land after the backend call ended.
      const points: AbortPoint[] = [{ at: measured.durationMs / 4 }, { at: measured.durationMs / 2 }];
      for (const point of points) {
        const aborted = await startAndAbort(h, provider, server, point);
        if (aborted.start) await h.stopDirect(aborted.start);
        if (aborted.abortedAt === undefined) continue; // The start settled before the abort landed.
        // A rejection honours the signal, also a late one (a provider may first remove what its
        // create call made; a start that never settles is the hang watchdog's). A resolution after
        // the abort means the start went on as if nothing happened.
        const late = aborted.settledAt - aborted.abortedAt;
        if (aborted.outcome === 'rejected' || late <= RESOLVE_RACE_MS) continue;
        const what = `it resolved with an instance ${late.toFixed(0)} ms after the abort instead of rejecting with the signal's reason`;
        const message = `[abort] startInstance ignored its abort signal while its backend call was in flight: aborted ${describePoint(point, measured)}, ${what}. Pass the signal to waits, polls and reads (HTTP clients take a signal); a create call in flight may finish, but then remove what it created and reject with signal.reason. If the backend's client cannot be aborted, say why with conformanceSuite({ startIgnoresAbort: '<reason>' }) to turn this into a warning.`;
        if (h.options.startIgnoresAbort) {
          console.warn(
            `[latentci conformance] WARNING (${h.caseId}): ${message} Accepted because: ${h.options.startIgnoresAbort}`,
          );
          return;
        }
        assert.fail(message);
      }
    },
  },
  {
    id: 'abort-race-no-leak',
    title:
      'a start aborted at any point of its measured phases, then stopped without an instance, leaves nothing on the backend',
    rule: 'startInstance signal; stopInstance without an instance cleans up by request.instanceName',
    async run(h) {
      const server = await h.server();
      const provider = h.provider();
      const measured = await measureStart(h, provider, server);
      const points: AbortPoint[] = [
        ...measured.phases.map((_, index) => ({ onEvent: index })),
        ...Array.from({ length: SWEEP_POINTS + 1 }, (_, index) => ({
          at: (measured.durationMs * index) / SWEEP_POINTS,
        })),
      ];
      const tried: { readonly point: AbortPoint; readonly aborted: AbortedStart; readonly start: DirectStart }[] = [];
      for (const point of points) {
        const aborted = await startAndAbort(h, provider, server, point);
        if (!aborted.start) continue;
        // As the core does: a start that rejected is stopped without an instance.
        await h.stopDirect(aborted.start);
        tried.push({ point, aborted, start: aborted.start });
      }
      // A backend call the provider gave up on may still create its instance: give it the time of a start.
      await sleep(Math.max(500, 2 * measured.durationMs));
      for (const { point, aborted, start } of tried) {
        const left = await waitUntilGone(h, start.request.workerName);
        assert.deepEqual(
          left,
          [],
          `[abort race] a start aborted ${describePoint(point, measured)} (it ${aborted.outcome === 'resolved' ? 'resolved anyway' : 'rejected'}), then stopped ${start.instance ? 'with its instance' : 'without an instance, as the core does'}, left ${left.join(', ')} on the backend after ${h.cleanupTimeoutMs / 1000} s: the backend created the instance while the start was being aborted. stopInstance without an instance must remove whatever is named request.instanceName (or labelled for the worker).`,
        );
      }
    },
  },
];
