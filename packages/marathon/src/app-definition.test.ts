import { ConfigurationError } from '@latentci/core';
import { describe, expect, it } from 'vitest';
import { marathonAppDefinition, marathonAppId } from './app-definition.js';
import { compileAppDefinitionSchema, createAppDefinitionValidator } from './test-support/app-definition-schema.js';

const environment = {
  BUILDMASTER: 'master',
  BUILDMASTER_PORT: '1234',
  BUILDMASTER_PROTOCOL: 'pb',
  WORKERNAME: 'bot',
  WORKERPASS: 'pass',
};
const labels = { 'io.latentci.managed': 'true', 'io.latentci.master': 'fake:/master', 'io.latentci.worker': 'bot' };
const validate = createAppDefinitionValidator();

describe('marathonAppDefinition', () => {
  it("is Buildbot's one-instance Docker app with the app id /<prefix><instance name> and the ownership labels (M4)", () => {
    const app = marathonAppDefinition({
      image: 'rendered:debian:wheezy',
      instanceName: 'buildbot-bot-masterhash',
      environment,
      labels,
    });
    expect(app).toEqual({
      id: '/buildbot-worker/buildbot-bot-masterhash',
      instances: 1,
      container: { type: 'DOCKER', docker: { image: 'rendered:debian:wheezy', network: 'BRIDGE' } },
      env: environment,
      labels,
    });
    expect(validate(app)).toEqual([]);
  });

  it('deep-merges marathonExtraConfig: network null kept, env extended (M7)', () => {
    const app = marathonAppDefinition({
      image: 'rendered:debian:wheezy',
      instanceName: 'buildbot-bot-masterhash',
      environment,
      marathonExtraConfig: { container: { docker: { network: null } }, env: { PARAMETER: 'foo' } },
    });
    expect(app.container).toEqual({ type: 'DOCKER', docker: { image: 'rendered:debian:wheezy', network: null } });
    expect(app.env).toEqual({ ...environment, PARAMETER: 'foo' });
    expect(validate(app)).toEqual([]);
  });

  it('passes the schema check only because nulls are dropped: the raw schema rejects the null Marathon accepts (documented exception)', () => {
    const raw = compileAppDefinitionSchema();
    const app = marathonAppDefinition({
      image: 'img',
      instanceName: 'buildbot-bot-masterhash',
      environment,
      marathonExtraConfig: { container: { docker: { network: null } } },
    });
    expect(raw(app)).toBe(false);
    expect(raw.errors?.[0]?.instancePath).toBe('/container/docker/network');
  });

  it('keeps typical extra settings valid against the schema (cpus, mem, constraints, networks)', () => {
    const app = marathonAppDefinition({
      image: 'img',
      instanceName: 'buildbot-bot-masterhash',
      environment,
      labels,
      marathonExtraConfig: {
        cpus: 0.5,
        mem: 256,
        constraints: [['hostname', 'UNIQUE']],
        container: { docker: { network: null } },
        networks: [{ mode: 'container/bridge' }],
      },
    });
    expect(validate(app)).toEqual([]);
  });

  it('uses marathonAppPrefix as given, as Buildbot concatenates it', () => {
    expect(marathonAppId('buildbot-bot-87de7e', 'ci/workers/')).toBe('/ci/workers/buildbot-bot-87de7e');
    expect(marathonAppId('buildbot-bot-87de7e', '')).toBe('/buildbot-bot-87de7e');
    expect(marathonAppId('buildbot-bot-87de7e', '/ci/')).toBe('/ci/buildbot-bot-87de7e');
  });

  it('refuses an app id Marathon would reject (upper case in the worker name) with a ConfigurationError saying what to change', () => {
    const make = () => marathonAppDefinition({ image: 'img', instanceName: 'buildbot-Bot-87de7e', environment });
    expect(make).toThrow(ConfigurationError);
    expect(make).toThrow(
      /"\/buildbot-worker\/buildbot-Bot-87de7e".*must fully match regular expression.*rename the worker or change marathonAppPrefix/,
    );
  });

  it('refuses a prefix that makes the id invalid', () => {
    expect(() =>
      marathonAppDefinition({
        image: 'img',
        instanceName: 'buildbot-bot-87de7e',
        environment,
        marathonAppPrefix: 'Build_Workers/',
      }),
    ).toThrow(/marathonAppPrefix "Build_Workers\/"/);
  });

  it('refuses an extra config that sets the id or is not an object', () => {
    const base = { image: 'img', instanceName: 'buildbot-bot-87de7e', environment };
    expect(() => marathonAppDefinition({ ...base, marathonExtraConfig: { id: '/other' } })).toThrow(
      /must not set "id"/,
    );
    expect(() =>
      marathonAppDefinition({ ...base, marathonExtraConfig: [] as unknown as Record<string, unknown> }),
    ).toThrow(/must render to a plain object/);
  });
});
