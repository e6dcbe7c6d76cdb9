import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CannotSubstantiateError, Interpolate } from '@latentci/core';
import { PROBE_CRASH_MESSAGE, PROBE_SCRIPT } from '@latentci/test-kit';
import { describeConformance } from '@latentci/test-kit/vitest';
import { afterAll } from 'vitest';
import { type ChildProcessProviderSettings, createChildProcessProvider, listWorkerProcessGroups } from './index.js';

// The worker: test-kit's probe script, run by the host's static busybox (apt-get install busybox-static).
const directory = mkdtempSync(join(tmpdir(), 'child-process-provider-'));
const probe = join(directory, 'probe.sh');
writeFileSync(probe, PROBE_SCRIPT, { mode: 0o755 });
const command = ['/bin/busybox', 'sh', probe];
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describeConformance<ChildProcessProviderSettings>({
  createProvider: (settings, { logger }) => createChildProcessProvider({ ...settings, logger }),
  backend: {
    name: 'local processes',
    masterHost: '127.0.0.1',
    ipv6: { masterHost: '::1' },
    workerSettings(kind) {
      if (kind === 'crashing') return { command, environment: { PROBE_EXIT_BEFORE_ATTACH: PROBE_CRASH_MESSAGE } };
      if (kind === 'per-build')
        return { command, environment: { PROBE_MARKER: new Interpolate('%(prop:probe_marker)s') } };
      return { command };
    },
    startFailure: {
      settings: { command: ['/nonexistent/buildbot-worker'] },
      error: CannotSubstantiateError,
      because: 'the worker command does not exist',
    },
    perBuild: {
      properties: { probe_marker: 'marker-one' },
      otherProperties: { probe_marker: 'marker-two' },
      renderedValue: 'marker-one',
    },
    // The backend's own view: live processes carrying the owner labels, straight from /proc.
    async listInstances(owner) {
      return (await listWorkerProcessGroups(owner)).map((group) => ({
        id: String(group.processGroup),
        name: group.instanceName,
        state: 'running',
        environment: group.environment,
      }));
    },
  },
  attachTimeout: 30,
});
