import { EXIT_CODES } from './exit-codes.js';
import { LS_HELP, MAIN_HELP, POOL_HELP, REAP_HELP, TRY_HELP } from './help-text.js';
import { CLI_VERSION } from './version.js';

/** The commands answered from text alone: help and version. */
export type QuickCommand =
  | { readonly command: 'help'; readonly topic?: 'try' | 'pool' | 'ls' | 'reap' }
  | { readonly command: 'version' };

/**
 * `latentci`, `latentci --help`, `latentci help <command>` and `latentci --version`, recognised
 * from the first word. This module loads nothing but the help text, so answering them starts no
 * more than Node itself; every other command loads what it needs when it runs.
 */
export function parseQuickCommand(argv: readonly string[]): QuickCommand | undefined {
  const [first, topic] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    if (first === 'help' && (topic === 'try' || topic === 'pool' || topic === 'ls' || topic === 'reap'))
      return { command: 'help', topic };
    return { command: 'help' };
  }
  if (first === '-v' || first === '--version') return { command: 'version' };
  return undefined;
}

/** What a help or version command prints, and its exit code (`latentci` alone is a usage error). */
export function answerQuickCommand(
  command: QuickCommand,
  argv: readonly string[],
): { readonly text: string; readonly exitCode: number } {
  if (command.command === 'version') return { text: `${CLI_VERSION}\n`, exitCode: 0 };
  const text =
    command.topic === 'try'
      ? TRY_HELP
      : command.topic === 'pool'
        ? POOL_HELP
        : command.topic === 'ls'
          ? LS_HELP
          : command.topic === 'reap'
            ? REAP_HELP
            : MAIN_HELP;
  return { text, exitCode: argv.length === 0 ? EXIT_CODES.configurationError : EXIT_CODES.attached };
}
