import type { TryEvent } from '../try-events.js';
import { type ProgressItem, renderProgressBar } from './progress-bar.js';
import { printable } from './terminal-text.js';

export interface HumanReporterOptions {
  /** Where lines go. */
  readonly write: (text: string) => void;
  /** A terminal: progress is one bar redrawn in place; otherwise progress is plain lines. */
  readonly tty: boolean;
  /** Use colours (TTY only, and not when `NO_COLOR` is set). */
  readonly color?: boolean;
  /**
   * The terminal's width (`process.stdout.columns`). The redrawn progress line is cut to fit it: a
   * line that wraps cannot be cleared with `\r`, and each redraw would leave a line behind. Default 80.
   */
  readonly columns?: number | undefined;
}

/** Cuts `text` to at most `columns - 1` characters (code points), ending with `…` when cut. */
export function fitToWidth(text: string, columns: number): string {
  const limit = Math.max(1, Math.floor(columns) - 1);
  const characters = Array.from(text);
  return characters.length <= limit ? text : `${characters.slice(0, limit - 1).join('')}…`;
}

const STATE_TEXT: Readonly<Record<string, string>> = {
  SUBSTANTIATING: 'requesting an instance',
  SUBSTANTIATING_STARTING: 'starting the instance; waiting for its worker to connect',
  SUBSTANTIATED: 'the worker is attached',
  INSUBSTANTIATING: 'stopping the instance',
  INSUBSTANTIATING_SUBSTANTIATING: 'stopping the instance before starting again',
  // Neutral on purpose: a stop the backend never confirmed also ends here (an `abandoned` line follows).
  NOT_SUBSTANTIATED: 'done with the instance',
  SHUT_DOWN: 'worker shut down',
};

const OUTCOME_TITLE: Readonly<Record<string, string>> = {
  attached: 'ATTACHED',
  reached: 'REACHED',
  'authentication-failed': 'AUTHENTICATION FAILED',
  crashed: 'CRASHED',
  'timed-out': 'TIMED OUT',
  'backend-error': 'BACKEND ERROR',
  'configuration-error': 'CONFIGURATION ERROR',
  interrupted: 'INTERRUPTED',
};

/** Prints `latentci try` events for people: a timeline, the instance's log lines, progress, and the verdict. */
export function createHumanReporter(options: HumanReporterOptions): (event: TryEvent) => void {
  const { write, tty } = options;
  const color = (options.color ?? tty) && !process.env.NO_COLOR;
  const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const progress = new Map<string, Map<string, ProgressItem>>();
  const printedStatus = new Map<string, string>();
  let barShown = false;
  let startedAt = Date.now();
  const stamp = () => paint('2', `[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)}s]`);
  const line = (text: string) => {
    if (barShown) {
      write('\r\x1b[2K');
      barShown = false;
    }
    write(`${text}\n`);
  };

  return (event) => {
    switch (event.event) {
      case 'start':
        startedAt = Date.now();
        line(
          `${paint('1', 'latentci try')}: worker "${event.worker}" with ${event.provider}${event.config ? ` (${event.config})` : ''}, timeout ${event.timeoutSeconds}s`,
        );
        return;
      case 'listening':
        line(
          `${stamp()} ${event.mode === 'attach' ? 'listening as the master on' : 'observing (not answering) on'} ${event.master}`,
        );
        return;
      case 'state':
        line(`${stamp()} ${STATE_TEXT[event.to] ?? event.to}`);
        return;
      case 'log':
        line(`${stamp()} ${paint('2', '│')} ${printable(event.line)}`);
        return;
      case 'progress': {
        const key = event.id ?? event.phase;
        let items = progress.get(event.phase);
        if (!items) {
          items = new Map();
          progress.set(event.phase, items);
        }
        items.set(key, { status: event.status, current: event.current, total: event.total });
        if (tty) {
          write(`\r\x1b[2K${fitToWidth(renderProgressBar(event.phase, items), options.columns ?? 80)}`);
          barShown = true;
        } else if (printedStatus.get(`${event.phase}/${key}`) !== event.status) {
          printedStatus.set(`${event.phase}/${key}`, event.status);
          line(`${stamp()} ${event.phase}${event.id ? ` ${event.id}` : ''}: ${event.status}`);
        }
        return;
      }
      case 'connection':
        line(
          `${stamp()} a TCP connection arrived at the master address${event.remoteAddress === 'unknown' ? '' : ` from ${event.remoteAddress}`}`,
        );
        return;
      case 'login':
        line(
          event.accepted
            ? `${stamp()} ${paint('32', '✓')} worker "${event.workerName}" logged in from ${event.remoteAddress}`
            : `${stamp()} ${paint('31', '✗')} login of "${event.workerName}" from ${event.remoteAddress} refused: ${printable(event.reason ?? 'refused')}`,
        );
        return;
      case 'worker-info':
        line(
          `${stamp()}   buildbot-worker ${event.version} on host ${event.host} (${event.system})${event.basedir ? `, basedir ${event.basedir}` : ''}, over ${event.protocol === 'pb' ? 'PB' : event.protocol}`,
        );
        return;
      case 'run':
        line(`${stamp()} running on the worker: ${event.command}`);
        return;
      case 'output':
        for (const text of event.text.replace(/\n$/, '').split('\n')) {
          line(`${stamp()} ${paint(event.stream === 'stderr' ? '31' : '2', '┃')} ${text}`);
        }
        return;
      case 'run-result':
        line(
          event.exitCode === null
            ? `${stamp()} ${paint('31', '✗')} the command did not run: ${event.error ?? 'unknown error'}`
            : `${stamp()} the command exited with ${event.exitCode}`,
        );
        return;
      case 'teardown':
        line(
          event.kept
            ? `${stamp()} leaving the instance${event.instanceName ? ` ${event.instanceName}` : ''} running (--keep)`
            : `${stamp()} tearing down`,
        );
        return;
      case 'abandoned':
        line(
          `${stamp()} ${paint('33', '!')} ${event.reason}${event.mayRemain ? `: ${event.mayRemain} may be left behind; remove it with \`${event.reap}\`` : ''}`,
        );
        return;
      case 'result': {
        const ok = event.exitCode === 0;
        line('');
        line(
          `${paint(ok ? '1;32' : '1;31', `${ok ? '✔' : '✘'} ${OUTCOME_TITLE[event.outcome] ?? event.outcome}`)}: ${printable(event.summary)}`,
        );
        const reached = event.reachedMaster ? 'yes' : 'no';
        const authenticated = event.authenticated === null ? 'not checked' : event.authenticated ? 'yes' : 'no';
        if (event.outcome !== 'configuration-error') {
          line(`  reached the master: ${reached}; authenticated: ${authenticated}; after ${event.elapsedSeconds}s`);
        }
        if (event.outcome === 'crashed' || event.outcome === 'timed-out' || event.outcome === 'authentication-failed') {
          if (event.lastLogLines.length > 0) {
            line('  last log lines of the instance:');
            for (const logLine of event.lastLogLines) line(`    ${printable(logLine)}`);
          }
        }
        for (const hint of event.hints) line(`  → ${printable(hint)}`);
        if (event.kept && event.instanceName) {
          line(`  the instance ${event.instanceName} is still running; remove it with \`latentci reap <config>\``);
        }
        line(paint('2', `  exit code ${event.exitCode}`));
        return;
      }
    }
  };
}

/** Prints each event as one JSON line (`--json`). */
export function createJsonReporter(write: (text: string) => void): (event: TryEvent) => void {
  return (event) => write(`${JSON.stringify(event)}\n`);
}
