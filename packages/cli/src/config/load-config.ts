import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createJiti } from 'jiti';
import { ConfigFileError } from '../cli-errors.js';
import { validateWorkerConfig } from './validate-config.js';
import type { LoadedWorkerConfig } from './worker-config.js';

const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];

export interface LoadWorkerConfigOptions {
  /** Relative config paths are resolved from here. Default `process.cwd()`. */
  readonly cwd?: string;
  /** Aborting it stops waiting for a JS/TS config module that does not finish loading (rejects with its reason). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Loads a worker config: a `.json` file, or a JS/TS module (`.js`, `.mjs`, `.cjs`, `.ts`, `.mts`,
 * `.cts`) whose default export is the config (or a function, possibly async, returning it).
 * TypeScript modules are loaded with jiti (pure JavaScript, no native binary): no build step needed.
 *
 * @throws ConfigFileError when the file is missing, unreadable, malformed or invalid.
 */
export async function loadWorkerConfig(
  path: string,
  options: LoadWorkerConfigOptions = {},
): Promise<LoadedWorkerConfig> {
  const file = resolve(options.cwd ?? process.cwd(), path);
  const extension = extname(file).toLowerCase();
  let raw: unknown;
  if (extension === '.json') {
    raw = parseJson(file, await readText(file));
  } else if (MODULE_EXTENSIONS.includes(extension)) {
    await readText(file);
    raw = await untilSettledOrStuck(importModuleConfig(file), file, options.signal);
  } else {
    throw new ConfigFileError(
      file,
      `unsupported config file type "${extension || '(none)'}"; use a .json file or a JS/TS module (${MODULE_EXTENSIONS.join(', ')}) exporting the config as default`,
    );
  }
  const config = validateWorkerConfig(raw, file);
  return { ...config, file, directory: dirname(file) };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new ConfigFileError(
      file,
      `cannot read the worker config (${reason}); pass the path of a .json, .js or .ts config`,
      {
        cause: error,
      },
    );
  }
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigFileError(file, `is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Waits for a config module, but not for ever: an abort (Ctrl-C) rejects at once, and a module
 * whose top-level await (or exported function) waits for something that can never happen — the
 * event loop runs empty — is a `ConfigFileError` instead of Node's silent exit 13.
 */
async function untilSettledOrStuck<T>(loading: Promise<T>, file: string, signal: AbortSignal | undefined): Promise<T> {
  signal?.throwIfAborted();
  let onAbort: (() => void) | undefined;
  let onIdle: (() => void) | undefined;
  try {
    return await Promise.race([
      loading,
      new Promise<never>((_, reject) => {
        onAbort = () => reject(signal?.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        onIdle = () =>
          reject(
            new ConfigFileError(
              file,
              'never finished loading: its top-level await (or the exported function) waits for something that can never happen; make the module settle',
            ),
          );
        process.once('beforeExit', onIdle);
      }),
    ]);
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    if (onIdle) process.removeListener('beforeExit', onIdle);
  }
}

async function importModuleConfig(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  let module: Record<string, unknown>;
  try {
    // `moduleCache: false`: a config edited between two runs in one process is read again.
    // `fsCache: false`: no transpiled copy (which may hold an inline password) is written to disk.
    const jiti = createJiti(url, { moduleCache: false, fsCache: false, interopDefault: false });
    module = (await jiti.import(file)) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigFileError(file, `could not be loaded: ${(error as Error).message}`, { cause: error });
  }
  let exported: unknown = module.default;
  // A CommonJS module's `module.exports` arrives as `default`, possibly wrapped once more.
  if (isObject(exported) && 'default' in exported && !('worker' in exported)) exported = exported.default;
  if (exported === undefined) {
    throw new ConfigFileError(
      file,
      'has no default export; export the config with `export default { provider, settings, worker }`',
    );
  }
  if (typeof exported === 'function') {
    try {
      exported = await (exported as () => unknown)();
    } catch (error) {
      throw new ConfigFileError(file, `the exported config function threw: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return exported;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
