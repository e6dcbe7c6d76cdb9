import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assertReadmeShowsExample } from '../../../tests/support/readme-example.js';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const examplePath = fileURLToPath(new URL('./readme-example.ts', import.meta.url));

describe('the README example', () => {
  it('is shown verbatim in the README', () => {
    assertReadmeShowsExample(readmePath, examplePath);
  });

  it('renders the settings against the properties and builds the worker environment', async () => {
    const example = await import('./readme-example.js');
    expect(example.settings).toEqual({
      image: 'registry.example.com/ci:main',
      name: 'linux_x86_64-00042',
      cache: '/cache/shared',
      login: '--password=example-token',
      flags: '42 --quiet',
    });
    expect(example.logLine).toBe('docker login --password=<registry_token>');
    expect(example.environment).toEqual({
      BUILDMASTER: 'ci-master.example.com',
      BUILDMASTER_PORT: '19989',
      BUILDMASTER_PROTOCOL: 'pb',
      WORKERNAME: 'linux_x86_64',
      WORKERPASS: expect.stringMatching(/^[A-Za-z0-9]{20}$/),
    });
    expect(example.instanceName).toMatch(/^buildbot-linux-x86-64-[0-9a-f]{6}$/);
  });
});
