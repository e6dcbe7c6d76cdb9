import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/**
 * Finds the file to `import()` for package `name` as seen from `base` (a directory): the ESM entry
 * of its `exports` (`import`, then `node`, then `default`), else `module`, `main`, `index.js`.
 * Paths (`./provider.js`, `/abs/provider.mjs`) are resolved from `base`. Returns `undefined` when
 * the package is not installed there.
 */
export function findPackageEntry(name: string, base: string): string | undefined {
  if (name.startsWith('.') || isAbsolute(name)) {
    const file = resolve(base, name);
    return existsSync(file) ? file : undefined;
  }
  for (let directory = resolve(base); ; directory = dirname(directory)) {
    const manifestPath = join(directory, 'node_modules', name, 'package.json');
    if (existsSync(manifestPath)) {
      const entry = entryFromManifest(join(directory, 'node_modules', name), manifestPath);
      if (entry !== undefined) return entry;
    }
    if (dirname(directory) === directory) break;
  }
  try {
    return createRequire(join(resolve(base), '__latentci_resolve__.js')).resolve(name);
  } catch {
    return undefined;
  }
}

function entryFromManifest(packageDirectory: string, manifestPath: string): string | undefined {
  let manifest: { exports?: unknown; module?: unknown; main?: unknown };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof manifest;
  } catch {
    return undefined;
  }
  const fromExports = manifest.exports === undefined ? undefined : pickExport(rootExport(manifest.exports));
  const candidates = [
    fromExports,
    typeof manifest.module === 'string' ? manifest.module : undefined,
    typeof manifest.main === 'string' ? manifest.main : undefined,
    'index.js',
  ];
  // The exports map is authoritative: its entry is returned even when missing (an unbuilt
  // package then fails to load with the path in the message).
  if (fromExports !== undefined) return resolve(packageDirectory, fromExports);
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const file = resolve(packageDirectory, candidate);
    if (existsSync(file)) return file;
  }
  return undefined;
}

function rootExport(exports: unknown): unknown {
  if (typeof exports === 'string' || Array.isArray(exports)) return exports;
  if (exports !== null && typeof exports === 'object') {
    const keys = Object.keys(exports);
    if (keys.some((key) => key.startsWith('.'))) return (exports as Record<string, unknown>)['.'];
    return exports;
  }
  return undefined;
}

function pickExport(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const item of target) {
      const picked = pickExport(item);
      if (picked !== undefined) return picked;
    }
    return undefined;
  }
  if (target !== null && typeof target === 'object') {
    const conditions = target as Record<string, unknown>;
    for (const condition of ['import', 'node', 'default']) {
      if (condition in conditions) {
        const picked = pickExport(conditions[condition]);
        if (picked !== undefined) return picked;
      }
    }
  }
  return undefined;
}
