import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve as resolveImport } from 'import-meta-resolve';

/**
 * Finds the file to `import()` for package `name` as seen from `base` (a directory), exactly as
 * Node's ESM resolver would from a module in `base` (`import-meta-resolve`, a faithful port: the
 * `exports` map with its conditions in key order, nested and array targets, `main`, symlinked
 * installs). An installed package whose entry is missing (not built) still yields that path, so
 * the import fails naming it. Paths (`./provider.js`, `/abs/provider.mjs`) are resolved from `base`. Returns
 * `undefined` when the package is not installed there.
 */
export function findPackageEntry(name: string, base: string): string | undefined {
  if (name.startsWith('.') || isAbsolute(name)) {
    const file = resolve(base, name);
    return existsSync(file) ? file : undefined;
  }
  let url: string;
  try {
    url = resolveImport(name, pathToFileURL(join(resolve(base), '__latentci_resolve__.js')).href);
  } catch {
    return undefined;
  }
  return url.startsWith('file:') ? fileURLToPath(url) : undefined;
}
