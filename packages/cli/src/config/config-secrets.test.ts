import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './load-config.js';

// Defect 5 of issue #23: loading a TS config must leave no copy of it (and of an inline password)
// in a shared temp folder. This file runs in its own process: the loader starts here, with the
// system temp folder pointed at a folder of this test, which is then searched for the password.
const systemTemp = tmpdir();
const privateTemp = mkdtempSync(join(systemTemp, 'latentci-temp-'));
const configDirectory = mkdtempSync(join(systemTemp, 'latentci-secret-config-'));
afterAll(() => {
  rmSync(privateTemp, { recursive: true, force: true });
  rmSync(configDirectory, { recursive: true, force: true });
});

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .map((name) => join(directory, name))
    .filter((path) => statSync(path).isFile());
}

describe('defect 5 (#23): a TS config with an inline password leaves nothing in the temp folder', () => {
  it('loads the .ts config and writes no file holding its text under the system temp folder', async () => {
    const password = `inline-ts-password-${process.pid}-${Date.now()}`;
    const config = join(configDirectory, 'worker.ts');
    writeFileSync(
      config,
      `const password: string = ${JSON.stringify(password)};\nexport default { provider: '@latentci/docker', settings: { image: 'busybox:latest' }, worker: { name: 'secret-ts', password } };\n`,
    );
    mkdirSync(privateTemp, { recursive: true });
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = privateTemp;
    try {
      expect(tmpdir()).toBe(privateTemp);
      const loaded = await loadWorkerConfig(config);
      expect(loaded.worker.password).toBe(password);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
    // tsx writes its cache asynchronously: give a write the time to land.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const leaks = filesUnder(privateTemp).filter((path) => readFileSync(path, 'utf8').includes(password));
    expect(leaks).toEqual([]);
  });
});
