import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { assertReadmeShowsExample } from '../../../tests/support/readme-example.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the README example', () => {
  it('is shown verbatim in the README', () => {
    assertReadmeShowsExample(
      fileURLToPath(new URL('../README.md', import.meta.url)),
      fileURLToPath(new URL('./readme-example.ts', import.meta.url)),
    );
  });

  it('prints the app definition, then starts, checks and stops a worker app on the simulator', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
    await import('./readme-example.js');
    expect(JSON.parse(printed[0] ?? '')).toEqual({
      id: '/buildbot-worker/buildbot-bot-87de7e',
      instances: 1,
      container: { type: 'DOCKER', docker: { image: 'buildbot/buildbot-worker:master', network: null } },
      env: { BUILDMASTER: 'ci.example.com', BUILDMASTER_PORT: '9989', WORKERNAME: 'bot' },
      labels: {},
      cpus: 0.5,
      mem: 512,
    });
    expect(printed.slice(1)).toEqual(['started /buildbot-worker/buildbot-bot-87de7e', 'healthy: true', 'apps left: 0']);
  });
});
