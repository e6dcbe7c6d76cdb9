import type { RawWorkerInfo } from './protocol-channel.js';

/** What a worker told about itself (`getWorkerInfo`), with the common keys typed. */
export interface WorkerInfo {
  /** Contents of `<basedir>/info/admin`. */
  readonly admin: string | undefined;
  /** Contents of `<basedir>/info/host`. */
  readonly host: string | undefined;
  /** The buildbot-worker version (`3.7.0-2` for Debian's). */
  readonly version: string | undefined;
  /** Command name → command version (`shell` → `3.1`…). */
  readonly workerCommands: Readonly<Record<string, string>>;
  /** The worker process's environment. */
  readonly environ: Readonly<Record<string, string>>;
  /** The worker's base directory (absolute). */
  readonly basedir: string | undefined;
  /** Python's `os.name`: `posix` or `nt`. */
  readonly system: string | undefined;
  readonly numcpus: number | undefined;
  /** Everything the worker sent, keys as sent. */
  readonly raw: RawWorkerInfo;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return undefined;
}

function textRecord(value: unknown): Record<string, string> {
  const result: Record<string, string> = Object.create(null);
  if (!value || typeof value !== 'object' || Array.isArray(value)) return result;
  for (const [key, entry] of Object.entries(value)) {
    const converted = text(entry);
    if (converted !== undefined) result[key] = converted;
  }
  return result;
}

export function toWorkerInfo(raw: RawWorkerInfo): WorkerInfo {
  const numcpus = raw.numcpus;
  return {
    admin: text(raw.admin),
    host: text(raw.host),
    version: text(raw.version),
    workerCommands: textRecord(raw.worker_commands),
    environ: textRecord(raw.environ),
    basedir: text(raw.basedir),
    system: text(raw.system),
    numcpus: typeof numcpus === 'number' ? numcpus : undefined,
    raw,
  };
}
