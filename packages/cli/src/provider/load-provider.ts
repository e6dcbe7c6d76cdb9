import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { assertProvider, type Provider } from '@latentci/core';
import { ProviderPackageError } from '../cli-errors.js';
import { findPackageEntry } from './find-package-entry.js';

export interface LoadProviderOptions {
  /** The config file's directory: searched first. */
  readonly configDirectory?: string | undefined;
  /** Searched second. Default `process.cwd()`. */
  readonly cwd?: string | undefined;
}

/** A provider factory as provider packages export it. */
export type ProviderFactory = (settings: Readonly<Record<string, unknown>>) => unknown;

/** The CLI's own directory: its dependencies (and optional peers) are the last place searched. */
function cliDirectory(): string {
  return dirname(fileURLToPath(import.meta.url));
}

/**
 * Picks the factory of a provider package: its `createProvider(settings)`. Until every provider
 * package exports that alias, a package with exactly one export named `create…Provider` (e.g.
 * `createDockerProvider`) is accepted too.
 */
export function pickProviderFactory(packageName: string, module: Record<string, unknown>): ProviderFactory {
  if (typeof module.createProvider === 'function') return module.createProvider as ProviderFactory;
  const named = Object.entries(module).filter(
    ([key, value]) => /^create\w+Provider$/.test(key) && typeof value === 'function',
  );
  if (named.length === 1) return named[0]![1] as ProviderFactory;
  const nested = module.default;
  if (nested !== null && typeof nested === 'object' && nested !== module) {
    return pickProviderFactory(packageName, nested as Record<string, unknown>);
  }
  const found = named.length === 0 ? 'it exports none' : `it exports several (${named.map(([key]) => key).join(', ')})`;
  throw new ProviderPackageError(
    packageName,
    `"${packageName}" is not a latentci provider package: a provider package exports createProvider(settings) returning a v1 provider, and ${found}`,
  );
}

/** Imports provider package `packageName`, looked up from the config's directory, then the cwd, then the CLI's own dependencies. */
export async function importProviderPackage(
  packageName: string,
  options: LoadProviderOptions = {},
): Promise<Record<string, unknown>> {
  const bases = [options.configDirectory, options.cwd ?? process.cwd(), cliDirectory()].filter(
    (base): base is string => base !== undefined,
  );
  let entry: string | undefined;
  for (const base of bases) {
    entry = findPackageEntry(packageName, base);
    if (entry !== undefined) break;
  }
  if (entry === undefined) {
    throw new ProviderPackageError(
      packageName,
      `provider package "${packageName}" is not installed where the config is (${bases.join(', ')}); install it next to your config, e.g. \`npm install ${packageName}\``,
    );
  }
  try {
    return (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ProviderPackageError(
      packageName,
      `provider package "${packageName}" (${entry}) failed to load: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Creates the provider a config names: imports the package, calls its factory with `settings`, and
 * checks the result is a provider this core can drive.
 *
 * @throws ProviderPackageError (missing package, no factory), ConfigurationError (the provider's own settings validation).
 */
export async function loadProvider(
  packageName: string,
  settings: Readonly<Record<string, unknown>>,
  options: LoadProviderOptions = {},
): Promise<Provider> {
  const module = await importProviderPackage(packageName, options);
  const factory = pickProviderFactory(packageName, module);
  const provider: unknown = await factory(settings);
  return assertProvider(provider);
}
