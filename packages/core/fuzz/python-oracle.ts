import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { floatRepr } from '../src/renderables/python-values.js';

/**
 * Runs JSON-line cases through a Python script (CPython is the oracle) and returns its answers.
 * Development aid for the differential fuzzers in this folder; not part of the package.
 */
export function askPython(script: string, cases: readonly unknown[], python = pythonExecutable()): unknown[] {
  const input = cases.map((item) => encodePython(item)).join('\n') + '\n';
  const scriptPath = fileURLToPath(new URL(script, import.meta.url));
  const result = spawnSync(python, [scriptPath], { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${python} ${script} failed: ${result.stderr}`);
  return result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

export function pythonExecutable(): string {
  return process.env.LATENTCI_ORACLE_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

/** JSON that Python's json module decodes to the values latentci's Python model assigns (ints vs floats). */
export function encodePython(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Number.POSITIVE_INFINITY) return 'Infinity';
    if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
    return Number.isSafeInteger(value) ? String(value === 0 ? 0 : value) : floatRepr(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(encodePython).join(',')}]`;
  return `{${Object.entries(value as object)
    .map(([key, item]) => `${JSON.stringify(key)}:${encodePython(item)}`)
    .join(',')}}`;
}

/** True when a CPython 3.8–3.12 (whose messages latentci reproduces) is there to act as the oracle. */
export function pythonAvailable(python = pythonExecutable()): boolean {
  const probe = spawnSync(
    python,
    ['-c', 'import sys; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 12) else 1)'],
    {
      stdio: 'ignore',
    },
  );
  return probe.status === 0;
}
