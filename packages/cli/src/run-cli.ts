import type { loadWorkerConfig } from './config/load-config.js';
import { errorFacts, isConfigurationLike } from './error-facts.js';
import { EXIT_CODES } from './exit-codes.js';
import type { InstanceSource } from './instances.js';
import { printable, printableLines } from './output/terminal-text.js';
import type { Command } from './parse-arguments.js';
import type { PoolEvent } from './pool-events.js';
import { answerQuickCommand, parseQuickCommand } from './quick-command.js';
import { DEFAULT_TRY_TIMEOUT } from './try-defaults.js';
import type { TryEvent } from './try-events.js';

// Only help and version are answered with what is imported above. Every other command imports its
// machinery (config loader, providers, Docker client, attach server, worker protocol) when it runs,
// so `latentci --help` costs no more than starting Node.

/** Where the CLI reads and writes. Defaults: the process's. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** stdout is a terminal: progress bars and colours. */
  readonly tty: boolean;
  /** The terminal's width in characters, when stdout is one. */
  readonly columns?: number | undefined;
  readonly cwd: string;
  /** Aborting it interrupts the command (exit code 130) after cleaning up. */
  readonly signal?: AbortSignal | undefined;
  /** Aborting it abandons a cleanup in progress (a second Ctrl-C); the command says what may be left. */
  readonly abandon?: AbortSignal | undefined;
}

function defaultIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    tty: process.stdout.isTTY === true,
    columns: process.stdout.columns,
    cwd: process.cwd(),
  };
}

/** Runs `latentci` with `argv` (without `node` and the script) and resolves with the exit code. */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const out: CliIo = { ...defaultIo(), ...io };
  const quick = parseQuickCommand(argv);
  if (quick) {
    const { text, exitCode } = answerQuickCommand(quick, argv);
    out.stdout(text);
    return exitCode;
  }
  const json = argv.includes('--json');
  let command: Command;
  try {
    const { parseArguments } = await import('./parse-arguments.js');
    command = parseArguments(argv);
  } catch (error) {
    return reportError(out, json, error, 'usage');
  }
  switch (command.command) {
    case 'help':
    case 'version': {
      const { text, exitCode } = answerQuickCommand(command, argv);
      out.stdout(text);
      return exitCode;
    }
    case 'try':
      return runTry(command, out);
    case 'pool':
      return runPool(command, out);
    case 'ls':
    case 'reap':
      return runInstances(command, out);
  }
}

async function runTry(command: Extract<Command, { command: 'try' }>, io: CliIo): Promise<number> {
  const [{ loadWorkerConfig }, { diagnose }, { createHumanReporter, createJsonReporter }, { tryWorker }] =
    await Promise.all([
      import('./config/load-config.js'),
      import('./diagnosis.js'),
      import('./output/human-reporter.js'),
      import('./try-worker.js'),
    ]);
  const timeline = createHumanReporter({ write: io.stdout, tty: io.tty, columns: io.columns });
  // In human mode a configuration error is an error message: it goes to stderr, as every error does.
  const errors = createHumanReporter({ write: io.stderr, tty: false });
  const report: (event: TryEvent) => void = command.json
    ? createJsonReporter(io.stdout)
    : (event) => (event.event === 'result' && event.outcome === 'configuration-error' ? errors : timeline)(event);
  let config: Awaited<ReturnType<typeof loadWorkerConfig>>;
  try {
    config = await loadWorkerConfig(command.config, { cwd: io.cwd, signal: io.signal });
  } catch (error) {
    const interrupted = io.signal?.aborted === true;
    if (!interrupted && !isConfigurationLike(error)) throw error;
    const diagnosis = diagnose({
      mode: command.observe === undefined ? 'attach' : 'observe',
      master: '(not started)',
      timeoutSeconds: command.timeoutSeconds ?? DEFAULT_TRY_TIMEOUT,
      interrupted,
      attached: false,
      connectionsSeen: 0,
      refusals: [],
      failure: interrupted ? undefined : errorFacts(error),
      lastLogLines: [],
    });
    report({ event: 'result', ...diagnosis, master: '(not started)', kept: false, elapsedSeconds: 0 });
    return diagnosis.exitCode;
  }
  try {
    const result = await tryWorker(config, {
      timeoutSeconds: command.timeoutSeconds,
      keep: command.keep,
      observe: command.observe,
      master: command.master,
      replace: command.replace,
      run: command.run,
      signal: io.signal,
      abandon: io.abandon,
      onEvent: report,
      cwd: io.cwd,
    });
    return result.exitCode;
  } catch (error) {
    return reportError(io, command.json, error, 'try');
  }
}

async function runPool(command: Extract<Command, { command: 'pool' }>, io: CliIo): Promise<number> {
  try {
    const [{ loadWorkerConfig }, { poolWorkers }, { createPoolReporter }] = await Promise.all([
      import('./config/load-config.js'),
      import('./pool-workers.js'),
      import('./output/pool-reporter.js'),
    ]);
    const report = command.json
      ? (event: PoolEvent) => io.stdout(`${JSON.stringify(event)}\n`)
      : createPoolReporter({ write: io.stdout, tty: io.tty, columns: io.columns });
    const config = await loadWorkerConfig(command.config, { cwd: io.cwd, signal: io.signal });
    const result = await poolWorkers(config, {
      idle: command.idle,
      max: command.max,
      durationSeconds: command.durationSeconds,
      load: command.load,
      timeoutSeconds: command.timeoutSeconds,
      master: command.master,
      signal: io.signal,
      abandon: io.abandon,
      onEvent: report,
      cwd: io.cwd,
    });
    return result.exitCode;
  } catch (error) {
    return reportError(io, command.json, error, 'pool');
  }
}

async function runInstances(command: Extract<Command, { command: 'ls' | 'reap' }>, io: CliIo): Promise<number> {
  try {
    const [{ loadWorkerConfig }, { listInstances, reapInstances }] = await Promise.all([
      import('./config/load-config.js'),
      import('./instances.js'),
    ]);
    const source: InstanceSource =
      command.config !== undefined
        ? { config: await loadWorkerConfig(command.config, { cwd: io.cwd, signal: io.signal }) }
        : { provider: command.provider!, settings: command.settings ?? {}, masterId: command.masterId! };
    const options = { masterId: command.masterId, workerName: command.workerName, cwd: io.cwd, signal: io.signal };
    if (command.command === 'ls') {
      const listed = await listInstances(source, options);
      if (command.json) {
        io.stdout(
          `${JSON.stringify({ event: 'result', command: 'ls', provider: listed.provider, ...listed.owner, instances: listed.instances })}\n`,
        );
      } else if (listed.instances.length === 0) {
        io.stdout(
          `no instances of master "${listed.owner.masterId}"${listed.owner.workerName ? ` worker "${listed.owner.workerName}"` : ''} (${listed.provider})\n`,
        );
      } else {
        io.stdout(
          formatTable(
            ['ID', 'NAME', 'WORKER', 'STATE'],
            listed.instances.map((i) => [i.id, i.name ?? '', i.workerName, i.state ?? '']),
          ),
        );
      }
      return EXIT_CODES.attached;
    }
    if (command.dryRun) {
      const listed = await listInstances(source, options);
      if (command.json) {
        io.stdout(
          `${JSON.stringify({ event: 'result', command: 'reap', dryRun: true, provider: listed.provider, ...listed.owner, wouldRemove: listed.instances })}\n`,
        );
      } else {
        io.stdout(
          `dry run: would remove ${listed.instances.length} instance(s) of master "${listed.owner.masterId}"${listed.owner.workerName ? ` worker "${listed.owner.workerName}"` : ''} (${listed.provider})\n`,
        );
        for (const instance of listed.instances) {
          io.stdout(
            `  would remove ${printable(instance.name ?? instance.id)}${instance.state ? ` (${instance.state})` : ''}\n`,
          );
        }
      }
      return EXIT_CODES.attached;
    }
    const reaped = await reapInstances(source, options);
    if (command.json) {
      io.stdout(
        `${JSON.stringify({ event: 'result', command: 'reap', provider: reaped.provider, ...reaped.owner, removed: reaped.removed, failed: reaped.failed })}\n`,
      );
    } else {
      io.stdout(
        `removed ${reaped.removed.length} instance(s) of master "${reaped.owner.masterId}" (${reaped.provider})\n`,
      );
      for (const instance of reaped.removed) io.stdout(`  removed ${instance.name ?? instance.id}\n`);
      for (const { instance, message } of reaped.failed)
        io.stderr(`  could not remove ${instance.name ?? instance.id}: ${printable(message)}\n`);
    }
    return reaped.failed.length === 0 ? EXIT_CODES.attached : EXIT_CODES.backendError;
  } catch (error) {
    return reportError(io, command.json, error, command.command);
  }
}

function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const format = (row: readonly string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[headers, ...rows].map(format).join('\n')}\n`;
}

function reportError(io: CliIo, json: boolean, error: unknown, command: string): number {
  const { code, message } = errorFacts(error);
  const interrupted = io.signal?.aborted === true;
  const exitCode = interrupted
    ? EXIT_CODES.interrupted
    : isConfigurationLike(error)
      ? EXIT_CODES.configurationError
      : code === 'UNKNOWN'
        ? EXIT_CODES.internalError
        : EXIT_CODES.backendError;
  if (json) {
    io.stdout(`${JSON.stringify({ event: 'error', command, exitCode, code, message })}\n`);
  } else if (exitCode === EXIT_CODES.internalError) {
    io.stderr(
      `latentci ${command}: unexpected error (please report it): ${printableLines(error instanceof Error ? (error.stack ?? message) : message)}\n`,
    );
  } else {
    io.stderr(`latentci ${command}: ${printableLines(message)}\n`);
  }
  return exitCode;
}
