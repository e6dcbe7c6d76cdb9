/**
 * Path handling for msgpack_experimental_v7: the worker does not join paths on this protocol, so
 * the master sends absolute paths built from the worker's `basedir` with the rules of its
 * `system` (Python's `PurePosixPath` / `PureWindowsPath.joinpath`, as Buildbot's master does).
 */
export type WorkerSystem = 'posix' | 'nt';

export function workerSystemOf(system: unknown): WorkerSystem {
  // Buildbot falls back to posix for anything but "nt": most systems accept "/".
  return system === 'nt' ? 'nt' : 'posix';
}

/** `joinpath`: a later absolute part replaces what came before; empty and `.` parts vanish; `..` is kept. */
export function joinWorkerPath(system: WorkerSystem, base: string, ...parts: string[]): string {
  return system === 'nt' ? joinNt([base, ...parts]) : joinPosix([base, ...parts]);
}

function joinPosix(parts: readonly string[]): string {
  let root = '';
  let segments: string[] = [];
  for (const part of parts) {
    if (part.startsWith('/')) {
      // POSIX keeps exactly two leading slashes; pathlib does the same.
      root = part.startsWith('//') && !part.startsWith('///') ? '//' : '/';
      segments = [];
    }
    for (const segment of part.split('/')) if (segment !== '' && segment !== '.') segments.push(segment);
  }
  const body = segments.join('/');
  return root + body || '.';
}

function joinNt(parts: readonly string[]): string {
  let drive = '';
  let rooted = false;
  let segments: string[] = [];
  for (const part of parts) {
    let rest = part;
    const driveMatch = /^[A-Za-z]:/.exec(rest);
    if (driveMatch) {
      const newDrive = driveMatch[0].toUpperCase();
      rest = rest.slice(2);
      if (newDrive !== drive.toUpperCase() || /^[\\/]/.test(rest)) {
        drive = driveMatch[0];
        rooted = false;
        segments = [];
      }
    }
    if (/^[\\/]/.test(rest)) {
      rooted = true;
      segments = [];
    }
    for (const segment of rest.split(/[\\/]/)) if (segment !== '' && segment !== '.') segments.push(segment);
  }
  const body = segments.join('\\');
  const prefix = drive + (rooted ? '\\' : '');
  return prefix + body || '.';
}

/**
 * `~` and `~/…` become the worker's home directory (`HOME`, or `USERPROFILE` on Windows) taken
 * from the environment the worker reported; anything else is returned unchanged.
 */
export function expandWorkerUser(
  system: WorkerSystem,
  path: string,
  environ: Readonly<Record<string, unknown>>,
): string {
  if (path !== '~' && !path.startsWith('~/') && !(system === 'nt' && path.startsWith('~\\'))) return path;
  const home = system === 'nt' ? (environ.USERPROFILE ?? environ.HOME) : environ.HOME;
  if (typeof home !== 'string' || home === '') return path;
  return home + path.slice(1);
}

export interface CommandPathContext {
  readonly system: WorkerSystem;
  /** Absolute builder directory on the worker. */
  readonly builderDirectory: string;
  readonly environ: Readonly<Record<string, unknown>>;
}

/** Worker command names that msgpack spells differently. */
const RENAMED: Readonly<Record<string, string>> = {
  uploadFile: 'upload_file',
  uploadDirectory: 'upload_directory',
  downloadFile: 'download_file',
};

/**
 * Turns a command as Buildbot's steps send it (PB names, paths relative to the builder
 * directory) into the msgpack form: renamed commands, absolute `path`/`paths`/`from_path`/`to_path`,
 * boolean `want_stdout`/`want_stderr`, and no `writer`/`reader` (those are addressed by command id).
 */
export function toMsgpackCommand(
  commandName: string,
  args: Readonly<Record<string, unknown>>,
  context: CommandPathContext,
): { commandName: string; args: Record<string, unknown> } {
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, value] of Object.entries(args)) out[key] = value;
  const { system, builderDirectory, environ } = context;
  const join = (...parts: string[]) => joinWorkerPath(system, builderDirectory, ...parts);
  const text = (key: string): string => {
    const value = out[key];
    if (typeof value !== 'string') throw new TypeError(`the ${commandName} command needs a string "${key}" argument`);
    return value;
  };
  const expand = (path: string) => expandWorkerUser(system, path, environ);

  switch (commandName) {
    case 'mkdir':
    case 'rmdir': {
      const dir = out.dir;
      const dirs = Array.isArray(dir) ? dir : [dir];
      if (!dirs.every((item) => typeof item === 'string')) {
        throw new TypeError(`the ${commandName} command needs a "dir" argument: a string or a list of strings`);
      }
      out.paths = dirs.map((item) => join(item));
      delete out.dir;
      break;
    }
    case 'cpdir':
      out.from_path = join(text('fromdir'));
      out.to_path = join(text('todir'));
      delete out.fromdir;
      delete out.todir;
      break;
    case 'stat': {
      const workdir = out.workdir === undefined || out.workdir === null ? '' : text('workdir');
      out.path = join(workdir, text('file'));
      delete out.file;
      break;
    }
    case 'glob':
      out.path = join(text('path'));
      break;
    case 'listdir':
      out.path = join(text('dir'));
      delete out.dir;
      break;
    case 'rmfile':
      out.path = join(expand(text('path')));
      break;
    case 'shell':
      out.workdir = join(text('workdir'));
      break;
    case 'uploadFile':
    case 'uploadDirectory':
      out.path = join(text('workdir'), expand(text('workersrc')));
      if (!('maxsize' in out)) out.maxsize = null;
      break;
    case 'downloadFile':
      out.path = join(text('workdir'), expand(text('workerdest')));
      // The 3.7 worker reads both keys unconditionally.
      if (!('maxsize' in out)) out.maxsize = null;
      if (!('mode' in out)) out.mode = null;
      break;
    default:
      break;
  }
  for (const key of ['want_stdout', 'want_stderr']) {
    if (key in out) out[key] = out[key] === true || out[key] === 1;
  }
  delete out.writer;
  delete out.reader;
  return { commandName: RENAMED[commandName] ?? commandName, args: out };
}
