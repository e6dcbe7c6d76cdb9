import type { Logger, LogLevel } from '../logging/logger.js';

export interface LogRecord {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>> | undefined;
}

/** A logger that keeps every record, for assertions on Buildbot's log messages. */
export interface RecordingLogger extends Logger {
  readonly records: LogRecord[];
  /** The messages logged so far, optionally only those of `level`. */
  messages(level?: LogLevel): string[];
}

export function recordingLogger(): RecordingLogger {
  const records: LogRecord[] = [];
  return {
    records,
    log(level, message, fields) {
      records.push({ level, message, fields });
    },
    messages(level) {
      return records.filter((record) => level === undefined || record.level === level).map((record) => record.message);
    },
  };
}
