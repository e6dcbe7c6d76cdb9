import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './cli-errors.js';
import { DEFAULT_POOL_HOLD_MS } from './pool-defaults.js';
import type { PoolLoad } from './pool-events.js';
import { parseQuickCommand, type QuickCommand } from './quick-command.js';

export type Command =
  | QuickCommand
  | {
      readonly command: 'try';
      readonly config: string;
      readonly timeoutSeconds: number | undefined;
      readonly keep: boolean;
      readonly observe: string | undefined;
      readonly master: string | undefined;
      /** Remove an existing instance of the same name (another run's, or a master's sharing the masterId). */
      readonly replace: boolean;
      readonly run: string | undefined;
      readonly json: boolean;
    }
  | {
      readonly command: 'pool';
      readonly config: string;
      readonly idle: number | undefined;
      readonly max: number | undefined;
      readonly durationSeconds: number | undefined;
      readonly load: PoolLoad | undefined;
      readonly timeoutSeconds: number | undefined;
      readonly master: string | undefined;
      readonly json: boolean;
    }
  | {
      readonly command: 'ls' | 'reap';
      readonly config: string | undefined;
      readonly provider: string | undefined;
      readonly settings: Readonly<Record<string, unknown>> | undefined;
      readonly masterId: string | undefined;
      readonly workerName: string | undefined;
      /** `reap`: only print what would be removed. */
      readonly dryRun: boolean;
      readonly json: boolean;
    };

function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true } as const);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; see \`latentci ${command} --help\``, { cause: error });
  }
}

/** Parses `latentci`'s command line. `--json` is recognised anywhere so that usage errors can be reported as JSON. */
export function parseArguments(argv: readonly string[]): Command {
  const quick = parseQuickCommand(argv);
  if (quick) return quick;
  const [first, ...rest] = argv;
  const name = first === 'list' ? 'ls' : first;
  if (name === 'try') {
    const { values, positionals } = parse('try', rest, {
      timeout: { type: 'string' },
      keep: { type: 'boolean' },
      observe: { type: 'string' },
      master: { type: 'string' },
      replace: { type: 'boolean' },
      run: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) return { command: 'help', topic: 'try' };
    if (values.run !== undefined && values.observe !== undefined) {
      throw new UsageError(
        '--run needs a worker that logged in, and --observe does not check logins: give one of them',
      );
    }
    if (values.run !== undefined && String(values.run).trim() === '') {
      throw new UsageError('--run needs a shell command, e.g. --run "uname -a"');
    }
    if (positionals.length !== 1) {
      throw new UsageError(
        `latentci try takes exactly one config file, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}; see \`latentci try --help\``,
      );
    }
    if (values.observe !== undefined && values.master !== undefined) {
      throw new UsageError('--observe and --master both say where to listen: give one of them');
    }
    if (values.observe !== undefined && values.keep === true) {
      throw new UsageError(
        '--keep keeps an instance whose worker attached, and --observe never lets one attach (it only watches for a connection): drop one of them',
      );
    }
    let timeoutSeconds: number | undefined;
    if (values.timeout !== undefined) {
      timeoutSeconds = Number(values.timeout);
      if (!/^\d+(\.\d+)?$/.test(String(values.timeout)) || !(timeoutSeconds > 0)) {
        throw new UsageError(`--timeout must be a positive number of seconds, got "${String(values.timeout)}"`);
      }
    }
    return {
      command: 'try',
      config: positionals[0]!,
      timeoutSeconds,
      keep: values.keep === true,
      observe: values.observe as string | undefined,
      master: values.master as string | undefined,
      replace: values.replace === true,
      run: values.run as string | undefined,
      json: values.json === true,
    };
  }
  if (name === 'pool') return parsePool(rest);
  if (name === 'ls' || name === 'reap') {
    const { values, positionals } = parse(name, rest, {
      provider: { type: 'string' },
      settings: { type: 'string' },
      'master-id': { type: 'string' },
      worker: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) return { command: 'help', topic: name };
    if (positionals.length > 1)
      throw new UsageError(`latentci ${name} takes at most one config file; see \`latentci ${name} --help\``);
    const config = positionals[0];
    const provider = values.provider as string | undefined;
    if (config === undefined && provider === undefined) {
      throw new UsageError(`latentci ${name} needs a config file, or --provider <package> with --master-id <id>`);
    }
    if (config !== undefined && provider !== undefined) {
      throw new UsageError(`give latentci ${name} a config file or --provider, not both`);
    }
    if (name === 'ls' && values['dry-run'] === true) {
      throw new UsageError('--dry-run goes with latentci reap: ls never removes anything');
    }
    if (values['master-id'] !== undefined && String(values['master-id']).trim().length === 0) {
      throw new UsageError('--master-id must not be empty: give the master id whose instances to act on');
    }
    if (provider !== undefined && values['master-id'] === undefined) {
      throw new UsageError(
        `--provider needs --master-id <id>: the master whose instances to ${name === 'ls' ? 'list' : 'remove'}`,
      );
    }
    if (values.settings !== undefined && provider === undefined) {
      throw new UsageError('--settings goes with --provider; with a config file the settings come from the file');
    }
    let settings: Record<string, unknown> | undefined;
    if (values.settings !== undefined) {
      try {
        settings = JSON.parse(String(values.settings)) as Record<string, unknown>;
      } catch (error) {
        throw new UsageError(`--settings must be a JSON object: ${(error as Error).message}`, { cause: error });
      }
      if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
        throw new UsageError(
          '--settings must be a JSON object, e.g. {"image":"busybox","dockerHost":"unix:///var/run/docker.sock"}',
        );
      }
    }
    return {
      command: name,
      config,
      provider,
      settings,
      masterId: values['master-id'] as string | undefined,
      workerName: values.worker as string | undefined,
      dryRun: values['dry-run'] === true,
      json: values.json === true,
    };
  }
  throw new UsageError(`unknown command "${first}"; the commands are try, pool, ls and reap (see \`latentci --help\`)`);
}

/** `--option <n>`: a whole number of at least `minimum`. */
function integerOption(option: string, value: unknown, minimum: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) < minimum || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${option} must be a whole number >= ${minimum}, got "${text}"`);
  }
  return Number(text);
}

/** `--option <n>`: a positive number (decimals allowed). */
function positiveOption(option: string, value: unknown, unit: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const number = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(number > 0)) {
    throw new UsageError(`${option} must be a positive number of ${unit}, got "${text}"`);
  }
  return number;
}

function parsePool(args: readonly string[]): Command {
  const { values, positionals } = parse('pool', args, {
    idle: { type: 'string' },
    max: { type: 'string' },
    duration: { type: 'string' },
    load: { type: 'string' },
    'acquire-every': { type: 'string' },
    hold: { type: 'string' },
    timeout: { type: 'string' },
    master: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { command: 'help', topic: 'pool' };
  if (positionals.length !== 1) {
    throw new UsageError(
      `latentci pool takes exactly one config file, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}; see \`latentci pool --help\``,
    );
  }
  const idle = integerOption('--idle', values.idle, 0);
  const max = integerOption('--max', values.max, 1);
  if (idle !== undefined && max !== undefined && idle > max) {
    throw new UsageError(`--idle (${idle}) cannot exceed --max (${max}): the idle workers count toward max`);
  }
  if (values.load !== undefined && values['acquire-every'] !== undefined) {
    throw new UsageError('--load and --acquire-every both simulate demand: give one of them');
  }
  if (values.hold !== undefined && values.load === undefined && values['acquire-every'] === undefined) {
    throw new UsageError('--hold is how long a simulated build keeps its lease: give --load or --acquire-every too');
  }
  const holdMs = integerOption('--hold', values.hold, 0) ?? DEFAULT_POOL_HOLD_MS;
  const clients = integerOption('--load', values.load, 1);
  const everyMs = positiveOption('--acquire-every', values['acquire-every'], 'milliseconds');
  const load: PoolLoad | undefined =
    clients !== undefined
      ? { kind: 'clients', clients, holdMs }
      : everyMs !== undefined
        ? { kind: 'interval', everyMs, holdMs }
        : undefined;
  return {
    command: 'pool',
    config: positionals[0]!,
    idle,
    max,
    durationSeconds: positiveOption('--duration', values.duration, 'seconds'),
    load,
    timeoutSeconds: positiveOption('--timeout', values.timeout, 'seconds'),
    master: values.master as string | undefined,
    json: values.json === true,
  };
}
