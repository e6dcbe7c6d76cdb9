import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Packs every package as npm would publish it, installs the tarballs into a project outside the
// workspace, and loads each entry point from ESM and from CJS. Needs `pnpm build` first (the
// test command runs it).
const root = fileURLToPath(new URL('../..', import.meta.url));
// Every published package of the workspace (a package.json without `private: true`).
const packageNames = readdirSync(join(root, 'packages')).filter((name) => {
  const manifestPath = join(root, 'packages', name, 'package.json');
  return existsSync(manifestPath) && JSON.parse(readFileSync(manifestPath, 'utf8')).private !== true;
});
const consumer = mkdtempSync(join(tmpdir(), 'latentci-consumer-'));

interface Manifest {
  name: string;
  version: string;
  exports: Record<string, unknown>;
}

const manifests = packageNames.map(
  (name) => JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as Manifest,
);
// Each entry point with the module systems its exports map offers (`@latentci/test-kit/vitest` is
// ESM only, like vitest itself).
const entryPoints = manifests.flatMap((manifest) =>
  Object.entries(manifest.exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, conditions]) => ({
      specifier: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
      commonJs: typeof conditions === 'object' && conditions !== null && 'require' in conditions,
    })),
);

beforeAll(() => {
  for (const name of packageNames) {
    if (!existsSync(join(root, 'packages', name, 'dist'))) {
      throw new Error(`packages/${name}/dist is missing: run \`pnpm build\` before this test`);
    }
    execFileSync('pnpm', ['pack', '--pack-destination', consumer], {
      cwd: join(root, 'packages', name),
      stdio: 'pipe',
    });
  }
  const tarballs = readdirSync(consumer).filter((file) => file.endsWith('.tgz'));
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'latentci-consumer', private: true }));
  // vitest is the optional peer of @latentci/test-kit/vitest; dockerode the optional peer of the
  // hyper and marathon simulators (their ./testing entries).
  execFileSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
      ...tarballs.map((file) => `./${file}`),
      'vitest@4.1.12',
      'dockerode@5.0.1',
    ],
    { cwd: consumer, stdio: 'pipe', timeout: 240_000 },
  );
}, 300_000);

afterAll(() => rmSync(consumer, { recursive: true, force: true }));

function load(kind: 'esm' | 'cjs', specifier: string): string[] {
  const script =
    kind === 'esm'
      ? `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)));`
      : `const m = require(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)));`;
  const output = execFileSync('node', [...(kind === 'esm' ? ['--input-type=module'] : []), '-e', script], {
    cwd: consumer,
    encoding: 'utf8',
  });
  return JSON.parse(output) as string[];
}

describe('the packed tarballs', () => {
  it('contain only dist, README.md and package.json', () => {
    for (const manifest of manifests) {
      const installed = join(consumer, 'node_modules', manifest.name);
      // A nested node_modules is npm's doing (a dependency version shared differently), not the tarball's.
      expect(
        readdirSync(installed)
          .filter((entry) => entry !== 'node_modules')
          .sort(),
        manifest.name,
      ).toEqual(['README.md', 'dist', 'package.json']);
    }
  });

  it('replace workspace: ranges with real versions', () => {
    for (const manifest of manifests) {
      const installed = readFileSync(join(consumer, 'node_modules', manifest.name, 'package.json'), 'utf8');
      expect(installed, manifest.name).not.toContain('workspace:');
    }
  });

  it.each(entryPoints)(
    '$specifier loads from ESM (and from CJS where it offers require)',
    ({ specifier, commonJs }) => {
      const fromEsm = load('esm', specifier);
      expect(fromEsm.length, `${specifier} exports nothing`).toBeGreaterThan(0);
      if (!commonJs) {
        expect(() => load('cjs', specifier)).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED|No "exports" main defined/);
        return;
      }
      const fromCjs = load('cjs', specifier).filter((name) => name !== 'module.exports' && name !== 'default');
      expect(fromCjs.sort()).toEqual(fromEsm.filter((name) => name !== 'default').sort());
    },
  );

  it('ship the buildbot-worker image build: ensureBuildbotWorkerImage() finds it from the tarball', () => {
    // The image is built by scripts/prerequisites.d/30-buildbot-worker-image.sh, so this only
    // checks the packed build files hash to the image's label (no rebuild) from ESM and CJS.
    const installed = join(consumer, 'node_modules', '@latentci', 'test-kit', 'dist', 'buildbot-worker');
    expect(readdirSync(installed).sort()).toEqual(['Dockerfile', 'build-image.sh', 'buildbot.tac']);
    const esm = `const m = await import('@latentci/test-kit'); console.log(await m.ensureBuildbotWorkerImage());`;
    const cjs = `require('@latentci/test-kit').ensureBuildbotWorkerImage().then((tag) => console.log(tag));`;
    for (const [flags, script] of [[['--input-type=module'], esm] as const, [[], cjs] as const]) {
      const output = execFileSync('node', [...flags, '-e', script], {
        cwd: consumer,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(output.trim()).toBe('latentci-buildbot-worker:3.7');
    }
  });
});
