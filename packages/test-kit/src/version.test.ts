import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { TEST_KIT_VERSION } from './version.js';

it('TEST_KIT_VERSION (the probe image tag) follows package.json', () => {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(TEST_KIT_VERSION).toBe(manifest.version);
});
