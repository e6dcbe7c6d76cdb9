import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigFileError } from '../cli-errors.js';
import { loadWorkerConfig } from './load-config.js';

const directory = mkdtempSync(join(tmpdir(), 'latentci-cli-config-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}

const valid = {
  provider: '@latentci/docker',
  settings: { image: 'latentci-probe:0.1.0' },
  worker: { name: 'w1', masterFQDN: '172.17.0.1', masterPort: 9989 },
};

describe('loadWorkerConfig', () => {
  it('loads a JSON config and remembers its directory for provider lookup', async () => {
    file('worker.json', JSON.stringify(valid));
    const config = await loadWorkerConfig('worker.json', { cwd: directory });
    expect(config).toMatchObject({ ...valid, file: join(directory, 'worker.json'), directory });
  });

  it('loads a TypeScript module exporting the config as default', async () => {
    file(
      'worker.config.ts',
      `const name: string = 'from-ts';\nexport default { provider: 'x-provider', worker: { name } };\n`,
    );
    const config = await loadWorkerConfig(join(directory, 'worker.config.ts'));
    expect(config.worker.name).toBe('from-ts');
  });

  it('loads a module whose default export is an async function', async () => {
    file('worker.config.mjs', `export default async () => ({ provider: 'x-provider', worker: { name: 'lazy' } });\n`);
    expect((await loadWorkerConfig(join(directory, 'worker.config.mjs'))).worker.name).toBe('lazy');
  });

  it.each([
    ['missing.json', undefined, /no such file/],
    ['broken.json', '{ "provider": ', /not valid JSON/],
    ['config.yaml', 'provider: x', /unsupported config file type/],
    ['no-default.mjs', 'export const config = {};', /no default export/],
    ['array.json', '[]', /must be an object/],
    ['no-provider.json', '{"worker":{"name":"w"}}', /"provider" must be a provider package name/],
    ['no-name.json', '{"provider":"p","worker":{}}', /"worker.name" must be a non-empty string/],
    [
      'typo.json',
      '{"provider":"p","worker":{"name":"w","masterFQND":"h"}}',
      /unknown worker option "worker.masterFQND"/,
    ],
    ['extra.json', '{"provider":"p","worker":{"name":"w"},"image":"x"}', /unknown key "image"/],
    [
      'port.json',
      '{"provider":"p","worker":{"name":"w","masterPort":70000}}',
      /masterPort" must be an integer between 1 and 65535/,
    ],
    [
      'timeout.json',
      '{"provider":"p","worker":{"name":"w","missingTimeout":"soon"}}',
      /missingTimeout" must be a number of seconds/,
    ],
  ])('refuses %s with a ConfigFileError naming the problem', async (name, content, message) => {
    if (content !== undefined) file(name, content);
    const loading = loadWorkerConfig(join(directory, name));
    await expect(loading).rejects.toBeInstanceOf(ConfigFileError);
    await expect(loading).rejects.toThrow(message);
  });
});

describe('defect 3 (#23): config keys named like Object.prototype members', () => {
  it('a JSON "__proto__", "constructor" or "hasOwnProperty" in the worker section is an unknown key, not a prototype', async () => {
    for (const [name, text] of [
      ['proto.json', '{"provider": "@latentci/docker", "worker": {"name": "w", "__proto__": {"password": "x"}}}'],
      ['constructor.json', '{"provider": "@latentci/docker", "worker": {"name": "w", "constructor": 1}}'],
      ['own.json', '{"provider": "@latentci/docker", "worker": {"name": "w", "hasOwnProperty": true}}'],
      ['top.json', '{"provider": "@latentci/docker", "worker": {"name": "w"}, "__proto__": {}}'],
    ] as const) {
      file(name, text);
      const error = await loadWorkerConfig(name, { cwd: directory }).then(
        () => undefined,
        (failure: Error) => failure,
      );
      expect(error).toBeInstanceOf(ConfigFileError);
      expect(error?.message).toMatch(/unknown/);
    }
  });
});
