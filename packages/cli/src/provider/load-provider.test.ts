import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ProviderPackageError } from '../cli-errors.js';
import { findPackageEntry } from './find-package-entry.js';
import { loadProvider, pickProviderFactory } from './load-provider.js';

const root = mkdtempSync(join(tmpdir(), 'latentci-cli-provider-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PROVIDER_SOURCE = (factoryName: string, name: string) => `
export function ${factoryName}(settings) {
  return {
    specificationVersion: 'v1',
    provider: ${JSON.stringify(name)},
    settings,
    capabilities: { healthCheck: false, perBuildSettings: false, orphanReaping: false, startupLogs: false },
    async startInstance() { return { id: 'i1' }; },
    async stopInstance() {},
  };
}
`;

/** Installs a provider package into `<directory>/node_modules/<name>` (ESM-only, exports map). */
function installPackage(directory: string, name: string, source: string): void {
  const packageDirectory = join(directory, 'node_modules', name);
  mkdirSync(join(packageDirectory, 'lib'), { recursive: true });
  writeFileSync(
    join(packageDirectory, 'package.json'),
    JSON.stringify({ name, type: 'module', exports: { '.': { import: './lib/index.js' } } }),
  );
  writeFileSync(join(packageDirectory, 'lib', 'index.js'), source);
}

describe('loadProvider', () => {
  it('creates a third-party provider from the package installed next to the config, with the settings', async () => {
    const configDirectory = join(root, 'project');
    installPackage(configDirectory, 'acme-latentci-provider', PROVIDER_SOURCE('createProvider', 'acme'));
    const provider = await loadProvider('acme-latentci-provider', { region: 'eu' }, { configDirectory, cwd: tmpdir() });
    expect(provider.provider).toBe('acme');
    expect((provider as unknown as { settings: unknown }).settings).toEqual({ region: 'eu' });
  });

  it('looks in the working directory when the config directory does not have it', async () => {
    const cwd = join(root, 'cwd');
    installPackage(cwd, '@acme/provider', PROVIDER_SOURCE('createProvider', 'acme-scoped'));
    const provider = await loadProvider('@acme/provider', {}, { configDirectory: join(root, 'elsewhere'), cwd });
    expect(provider.provider).toBe('acme-scoped');
  });

  it('accepts a single create…Provider export from packages without the createProvider alias', async () => {
    const configDirectory = join(root, 'legacy');
    installPackage(configDirectory, 'legacy-provider', PROVIDER_SOURCE('createLegacyProvider', 'legacy'));
    expect((await loadProvider('legacy-provider', {}, { configDirectory })).provider).toBe('legacy');
  });

  it('finds the first-party providers among the CLI’s own dependencies, at their ESM entry', () => {
    const cliSources = fileURLToPath(new URL('..', import.meta.url));
    const installed = join(cliSources, '..', 'node_modules', '@latentci', 'docker');
    // Node's resolver follows pnpm's symlink once the built entry exists.
    expect([join(installed, 'dist', 'index.js'), join(realpathSync(installed), 'dist', 'index.js')]).toContain(
      findPackageEntry('@latentci/docker', cliSources),
    );
  });

  it("resolves a package's entry as Node does: conditions in the exports map's key order, nested targets (regression)", () => {
    const base = mkdtempSync(join(root, 'resolve-'));
    const packageDirectory = join(base, 'node_modules', 'ordered-provider');
    mkdirSync(join(packageDirectory, 'lib'), { recursive: true });
    writeFileSync(
      join(packageDirectory, 'package.json'),
      JSON.stringify({
        name: 'ordered-provider',
        exports: {
          '.': { node: { import: './lib/node.mjs', require: './lib/node.cjs' }, import: './lib/other.mjs' },
          './package.json': './package.json',
        },
      }),
    );
    for (const file of ['node.mjs', 'node.cjs', 'other.mjs']) writeFileSync(join(packageDirectory, 'lib', file), '');
    // The hand-written lookup took `import` first, whatever the order: Node takes the first
    // condition it matches in key order, here `node`, then `import` inside it.
    expect(findPackageEntry('ordered-provider', base)).toBe(realpathSync(join(packageDirectory, 'lib', 'node.mjs')));
    expect(findPackageEntry('absent-provider', base)).toBeUndefined();
  });

  it('picks createProvider, else the single create…Provider export', () => {
    const factory = () => 'created';
    expect(pickProviderFactory('p', { createProvider: factory, createDockerProvider: () => 'other' })).toBe(factory);
    expect(pickProviderFactory('p', { createDockerProvider: factory, dockerLatentWorker: () => 0 })).toBe(factory);
    expect(() => pickProviderFactory('p', { createAProvider: factory, createBProvider: factory })).toThrow(/several/);
  });

  it('says how to install a package that is not there', async () => {
    await expect(loadProvider('no-such-latentci-provider', {}, { configDirectory: root, cwd: root })).rejects.toThrow(
      /not installed.*npm install no-such-latentci-provider/,
    );
  });

  it('refuses a package that exports no provider factory', async () => {
    const configDirectory = join(root, 'not-a-provider');
    installPackage(configDirectory, 'left-pad-ish', 'export function pad() {}\n');
    await expect(loadProvider('left-pad-ish', {}, { configDirectory })).rejects.toBeInstanceOf(ProviderPackageError);
    await expect(loadProvider('left-pad-ish', {}, { configDirectory })).rejects.toThrow(
      /exports createProvider\(settings\)/,
    );
  });

  it('refuses a factory whose result is not a v1 provider', async () => {
    const configDirectory = join(root, 'v9');
    installPackage(
      configDirectory,
      'future-provider',
      "export const createProvider = () => ({ specificationVersion: 'v9', provider: 'future' });\n",
    );
    await expect(loadProvider('future-provider', {}, { configDirectory })).rejects.toThrow(/specificationVersion "v9"/);
  });
});
