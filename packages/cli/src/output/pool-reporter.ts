import type { PoolEvent, PoolLoad, PoolSnapshot } from '../pool-events.js';
import { fitToWidth } from './human-reporter.js';
import { printable } from './terminal-text.js';

export interface PoolReporterOptions {
  /** Where lines go. */
  readonly write: (text: string) => void;
  /** A terminal: the stats are one line redrawn in place; otherwise each snapshot is a plain line. */
  readonly tty: boolean;
  /** The terminal's width: the redrawn line is cut to fit it (a wrapped line cannot be redrawn). Default 80. */
  readonly columns?: number | undefined;
}

const milliseconds = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : '–');

/** One snapshot as a line: `idle 1 · starting 0 · leased 1 · … · time-to-lease p50 3 ms, p95 480 ms`. */
export function formatPoolStats(stats: PoolSnapshot): string {
  const lease =
    stats.timeToLease.count === 0
      ? 'time-to-lease –'
      : `time-to-lease p50 ${milliseconds(stats.timeToLease.p50)}, p95 ${milliseconds(stats.timeToLease.p95)}`;
  return [
    `idle ${stats.idle}`,
    `starting ${stats.starting}`,
    `leased ${stats.leased}`,
    `stopping ${stats.stopping}`,
    `waiting ${stats.waiting}`,
    `failures ${stats.failures}`,
    `leases ${stats.leases} (${stats.warmLeases} warm)`,
    lease,
  ].join(' · ');
}

function describeLoad(load: PoolLoad | undefined): string {
  if (load === undefined) return 'no load (the pool only stays warm)';
  const hold = `each lease held ${load.holdMs} ms`;
  return load.kind === 'clients'
    ? `load: ${load.clients} client${load.clients === 1 ? '' : 's'} acquiring in a loop, ${hold}`
    : `load: one acquire every ${load.everyMs} ms, ${hold}`;
}

/** Prints `latentci pool` events for people: what happens to the workers, and the stats (one redrawn line on a terminal). */
export function createPoolReporter(options: PoolReporterOptions): (event: PoolEvent) => void {
  const { write, tty } = options;
  const columns = options.columns ?? 80;
  const startedAt = Date.now();
  let statsShown: string | undefined;
  const stamp = () => `[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)}s]`;
  const line = (text: string) => {
    if (statsShown !== undefined) write('\r\x1b[2K');
    write(`${stamp()} ${text}\n`);
    if (statsShown !== undefined) write(statsShown);
  };
  const endStats = () => {
    if (statsShown === undefined) return;
    write('\n');
    statsShown = undefined;
  };
  return (event) => {
    switch (event.event) {
      case 'start':
        write(
          `latentci pool: workers ${event.workers.length === 1 ? `"${event.workers[0]}"` : `"${event.workers[0]}" … "${event.workers.at(-1)}"`} with ${event.provider}${event.config ? ` (${event.config})` : ''}, idle ${event.idle}, max ${event.max}, ${event.durationSeconds === undefined ? 'until Ctrl-C' : `for ${event.durationSeconds}s`}\n`,
        );
        write(`  ${describeLoad(event.load)}\n`);
        return;
      case 'listening':
        line(`listening as the master on ${event.master}`);
        return;
      case 'worker-ready':
        line(`✓ ${event.name} attached (start took ${event.startMs} ms)`);
        return;
      case 'start-failed':
        line(`✘ starting ${event.name} failed: ${printable(event.message)}`);
        return;
      case 'backend-quarantined':
        line(`the backend is quarantined for ${event.seconds}s after a failed start: no start before then`);
        return;
      case 'login-refused':
        line(
          `✘ refused ${event.workerName === undefined ? 'a connection' : `worker "${printable(event.workerName)}"`} from ${event.remoteAddress}: ${printable(event.reason)}`,
        );
        return;
      case 'stats': {
        const text = `${stamp()} ${formatPoolStats(event)}`;
        if (tty) {
          statsShown = fitToWidth(text, columns);
          write(`\r\x1b[2K${statsShown}`);
        } else {
          write(`${text}\n`);
        }
        return;
      }
      case 'closing':
        line(
          `${event.reason === 'duration' ? 'duration reached' : 'interrupted'}: closing the pool (leases end, every worker stops)`,
        );
        return;
      case 'abandoned':
        endStats();
        write(`⚠ ${event.reason}: ${event.mayRemain} may be left; remove them with \`${event.reap}\`\n`);
        return;
      case 'result': {
        endStats();
        const verdict =
          event.outcome === 'completed'
            ? '✔ pool closed'
            : event.outcome === 'interrupted'
              ? `✘ INTERRUPTED: ${event.leftBehind === undefined ? 'pool closed' : 'cleanup not finished'}`
              : event.outcome === 'no-worker-ready'
                ? '✘ NO WORKER READY: every start failed (try `latentci try <config>` to see why)'
                : '✘ CLEANUP INCOMPLETE';
        write(`\n${verdict}\n`);
        write(`  ${formatPoolStats(event.stats)}\n`);
        write(
          `  ${event.workersReady} worker(s) attached in ${event.elapsedSeconds}s; ${event.leftBehind === undefined ? 'no worker left' : `${event.leftBehind.what} may be left: \`${event.leftBehind.reap}\``}\n`,
        );
        write(`  exit code ${event.exitCode}\n`);
        return;
      }
    }
  };
}
