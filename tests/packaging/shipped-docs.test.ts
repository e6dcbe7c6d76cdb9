import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// What npm shows and ships: each package's README and package.json, and the .d.ts built from its
// non-test sources. Links must work on the npm page, where nothing outside the package exists.
const root = fileURLToPath(new URL('../..', import.meta.url));
const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .filter((name) => {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as {
      private?: boolean;
      files?: string[];
    };
    return (
      manifest.private !== true &&
      (manifest.files ?? []).includes('README.md') &&
      existsSync(join(root, 'packages', name, 'README.md'))
    );
  });

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.includes('.test') && !entry.name.includes('test-support')
      ? [path]
      : [];
  });
}

describe.each(packages)('the shipped docs of @latentci/%s', (name) => {
  const directory = join(root, 'packages', name);
  const readme = readFileSync(join(directory, 'README.md'), 'utf8');
  const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '');

  it('link only to web pages or to headings of the README itself', () => {
    expect(links.filter((link) => !/^(https?:\/\/|#)/.test(link))).toEqual([]);
  });

  it('name no source path that the tarball does not ship', () => {
    expect(readme.match(/`?\bsrc\/[\w./-]+`?/g) ?? []).toEqual([]);
  });

  it('point to no placeholder address', () => {
    const manifest = readFileSync(join(directory, 'package.json'), 'utf8');
    expect(`${readme}\n${manifest}`).not.toContain('example.invalid');
  });

  it('refer to no section (§x.y) of a document that is not shipped, in the README or the .d.ts sources', () => {
    const withSections = [join(directory, 'README.md'), ...sourceFiles(join(directory, 'src'))].filter((file) =>
      readFileSync(file, 'utf8').includes('§'),
    );
    expect(withSections.map((file) => file.slice(directory.length + 1))).toEqual([]);
  });
});
