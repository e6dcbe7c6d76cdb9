/** Severity of a log record. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The logger latentci writes to. Packages never depend on a logging library: pass an adapter for
 * yours (pino, winston, console). Messages and fields are already redacted of secrets.
 */
export interface Logger {
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** Discards everything: the default. */
export const silentLogger: Logger = { log() {} };

/** Writes `level message {fields}` lines to the console; handy in examples and the CLI. */
export function consoleLogger(minimum: LogLevel = 'info'): Logger {
  const order: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
  return {
    log(level, message, fields) {
      if (order.indexOf(level) < order.indexOf(minimum)) return;
      const suffix = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
      console.error(`${level} ${message}${suffix}`);
    },
  };
}
