import { ConfigurationError, Interpolate, Properties } from '@latentci/core';
import { describe, expect, it } from 'vitest';
import { deepMerge } from './deep-merge.js';
import { assertServiceName } from './service-name.js';
import { buildServiceSpec, memoryBytes, renderSwarmSettings } from './service-spec.js';
import { validateSwarmSettings } from './settings.js';

const labels = { 'io.latentci.managed': 'true', 'io.latentci.master': 'm', 'io.latentci.worker': 'w' };
const environment = { WORKERNAME: 'w', WORKERPASS: 'secret' };

function propertiesWith(values: Record<string, unknown>): Properties {
  const properties = new Properties();
  properties.update(values, 'test');
  return properties;
}

async function specFor(settings: Parameters<typeof validateSwarmSettings>[0], properties = new Properties()) {
  const validated = validateSwarmSettings(settings);
  const rendered = await renderSwarmSettings(validated, properties);
  return buildServiceSpec({
    name: 'buildbot-w-abc123',
    image: 'sha256:0123',
    environment,
    labels,
    command: validated.command,
    rendered,
  });
}

describe('the service spec of a worker', () => {
  it('is one replica never restarted, with init, the environment and the owner labels on the service and its containers', async () => {
    const spec = await specFor({ image: 'worker:1' });
    expect(spec).toEqual({
      Name: 'buildbot-w-abc123',
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: { Image: 'sha256:0123', Env: ['WORKERNAME=w', 'WORKERPASS=secret'], Labels: labels, Init: true },
        RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
        Placement: { Constraints: [], Preferences: [] },
        Resources: {},
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
  });

  it('carries placement, resources, networks, mounts, hostname and command arguments, rendered per build', async () => {
    const spec = await specFor(
      {
        image: 'worker:1',
        command: 'buildbot-worker start --nodaemon',
        constraints: [new Interpolate('node.labels.pool==%(prop:pool)s')],
        preferences: ['spread=node.labels.zone'],
        resources: { limits: { cpus: 1.5, memory: '512m' }, reservations: { memory: 1048576 } },
        networks: ['ci-overlay'],
        mounts: [
          { type: 'tmpfs', target: '/scratch' },
          { source: 'cache', target: '/cache', readOnly: true },
        ],
        hostname: new Interpolate('%(prop:pool)s-worker'),
      },
      propertiesWith({ pool: 'fast' }),
    );
    const template = spec.TaskTemplate as Record<string, Record<string, unknown>>;
    expect(template.ContainerSpec).toMatchObject({
      Args: ['buildbot-worker', 'start', '--nodaemon'],
      Hostname: 'fast-worker',
      Mounts: [
        { Type: 'tmpfs', Target: '/scratch' },
        { Type: 'volume', Source: 'cache', Target: '/cache', ReadOnly: true },
      ],
    });
    expect(template.Placement).toEqual({
      Constraints: ['node.labels.pool==fast'],
      Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
    });
    expect(template.Resources).toEqual({
      Limits: { NanoCPUs: 1_500_000_000, MemoryBytes: 512 * 1024 * 1024 },
      Reservations: { MemoryBytes: 1048576 },
    });
    expect(template.Networks).toEqual([{ Target: 'ci-overlay' }]);
  });

  it('deep-merges serviceSpec over everything else: objects key by key, arrays and scalars replace', async () => {
    const spec = await specFor({
      image: 'worker:1',
      constraints: ['node.role==worker'],
      serviceSpec: {
        TaskTemplate: {
          ContainerSpec: { User: 'buildbot', Init: false },
          Placement: { Constraints: ['node.labels.ssd==true'] },
          LogDriver: { Name: 'json-file' },
        },
        EndpointSpec: { Mode: 'dnsrr' },
      },
    });
    const template = spec.TaskTemplate as Record<string, Record<string, unknown>>;
    expect(template.ContainerSpec).toMatchObject({ User: 'buildbot', Init: false, Image: 'sha256:0123' });
    expect(template.Placement).toEqual({ Constraints: ['node.labels.ssd==true'], Preferences: [] });
    expect(template.LogDriver).toEqual({ Name: 'json-file' });
    expect(spec.EndpointSpec).toEqual({ Mode: 'dnsrr' });
    expect(deepMerge({ a: { b: 1, c: [1] } }, { a: { c: [2] } })).toEqual({ a: { b: 1, c: [2] } });
  });

  it('refuses settings that render to the wrong shape, naming the setting', async () => {
    await expect(specFor({ image: 'worker:1', preferences: ['zone'] })).rejects.toThrow(
      /preferences entries look like "spread=node.labels.zone"/,
    );
    await expect(specFor({ image: 'worker:1', resources: { limits: { cpus: -1 } } })).rejects.toThrow(
      /resources.limits.cpus must be a positive number/,
    );
    await expect(specFor({ image: new Interpolate('%(prop:missing:-)s') })).rejects.toThrow(
      /image must render to a non-empty string/,
    );
    expect(() => memoryBytes('lots')).toThrow(ConfigurationError);
    expect(memoryBytes('1g')).toBe(1024 ** 3);
  });
});

describe('settings validation', () => {
  it('names unknown settings and wrong types', () => {
    expect(() => validateSwarmSettings({ image: 'x', replicas: 2 } as never)).toThrow(
      /unknown Swarm provider setting: replicas/,
    );
    expect(() => validateSwarmSettings({} as never)).toThrow(/image is required/);
    expect(() => validateSwarmSettings({ image: 'x', constraints: 'node.role==worker' } as never)).toThrow(
      /constraints must be a list of strings/,
    );
    expect(() => validateSwarmSettings({ image: 'x', dockerHost: 'ftp://nope' })).toThrow(ConfigurationError);
    expect(() => validateSwarmSettings({ image: 'x', removeTimeout: 0 })).toThrow(/removeTimeout/);
  });
});

describe('service names', () => {
  it("accepts Buildbot's instance names and refuses what Swarm would, with a ConfigurationError saying what to do", () => {
    expect(() => assertServiceName('buildbot-linux-worker-1-a1b2c3', 'linux_worker_1')).not.toThrow();
    expect(() => assertServiceName('buildbot-w.1-a1b2c3', 'w.1')).toThrow(ConfigurationError);
    expect(() => assertServiceName('buildbot-w.1-a1b2c3', 'w.1')).toThrow(/letters, digits and "-"/);
    const long = `buildbot-${'x'.repeat(60)}-a1b2c3`;
    expect(() => assertServiceName(long, 'x'.repeat(60))).toThrow(/is 76 characters long and Swarm allows 63/);
  });
});
