import { readdir, readFile } from 'node:fs/promises';

/** One live (non-zombie) process, as `/proc` shows it. */
export interface ProcessEntry {
  readonly pid: number;
  readonly processGroup: number;
  /** Clock ticks after boot when it started: tells a process from a later one that reused its pid. */
  readonly startTime: number;
}

/**
 * Reads `/proc/<pid>/stat`. `undefined` when the process is gone or a zombie (a zombie is dead; it
 * only waits for its parent to collect its exit status).
 */
export async function readProcess(pid: number): Promise<ProcessEntry | undefined> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return { pid, processGroup: Number(fields[2]), startTime: Number(fields[19]) };
}

/** Every live process. */
export async function listProcesses(): Promise<ProcessEntry[]> {
  const names = await readdir('/proc');
  const entries = await Promise.all(
    names.filter((name) => /^\d+$/.test(name)).map((name) => readProcess(Number(name))),
  );
  return entries.filter((entry): entry is ProcessEntry => entry !== undefined);
}

/** The environment of a process we may read (same user); empty when we may not or it is gone. */
export async function readEnvironment(pid: number): Promise<Record<string, string>> {
  try {
    const raw = await readFile(`/proc/${pid}/environ`, 'utf8');
    const environment: Record<string, string> = {};
    for (const entry of raw.split('\0')) {
      const equals = entry.indexOf('=');
      if (equals > 0) environment[entry.slice(0, equals)] = entry.slice(equals + 1);
    }
    return environment;
  } catch {
    return {};
  }
}

/** Whether any live process is still in `processGroup`. */
export async function processGroupAlive(processGroup: number): Promise<boolean> {
  return (await listProcesses()).some((entry) => entry.processGroup === processGroup);
}
