import { ConfigurationError, Interpolate } from '@latentci/core';
import Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { createDockerProvider, DOCKER_CAPABILITIES } from './docker-provider.js';
import { InvalidVolumeError, UnknownHostConfigKeyError } from './errors.js';
import { splitCommand, validateDockerSettings } from './settings.js';

describe('Docker provider settings, validated at creation', () => {
  it('D01: neither image nor dockerfile is a configuration error that says what to give', () => {
    expect(() => createDockerProvider({})).toThrow(ConfigurationError);
    expect(() => createDockerProvider({})).toThrow(/You need to specify at least an image name, or a dockerfile/);
  });

  it('D02/D03: a dockerfile alone or an image alone is enough', () => {
    expect(validateDockerSettings({ dockerfile: 'FROM scratch' })).toMatchObject({
      image: undefined,
      dockerfile: 'FROM scratch',
    });
    expect(validateDockerSettings({ image: 'worker' })).toMatchObject({ image: 'worker', dockerfile: undefined });
  });

  it('D04: minimal settings default the command to none and the volumes and hostconfig to empty', () => {
    expect(validateDockerSettings({ dockerHost: 'tcp://1234:2375', image: 'worker' })).toMatchObject({
      command: [],
      volumes: [],
      hostconfig: {},
      version: undefined,
      tls: undefined,
      followStartupLogs: false,
      autopull: false,
      alwaysPull: false,
      customContext: false,
      encoding: 'gzip',
    });
  });

  it('D05: the provider declares every capability (health check, per-build settings, orphan reaping, startup logs)', () => {
    const provider = createDockerProvider({ image: 'worker' });
    expect(provider.capabilities).toEqual(DOCKER_CAPABILITIES);
    expect(provider.capabilities).toEqual({
      healthCheck: true,
      perBuildSettings: true,
      orphanReaping: true,
      startupLogs: true,
    });
    expect(provider.specificationVersion).toBe('v1');
  });

  it('D09: version and tls are kept for the client; "1.41" becomes the API prefix v1.41', () => {
    expect(validateDockerSettings({ image: 'worker', version: '1.41', tls: true })).toMatchObject({
      version: 'v1.41',
      tls: { verify: true },
    });
    expect(() => validateDockerSettings({ image: 'worker', version: 'latest' })).toThrow(/not a Docker API version/);
  });

  it('D19: a literal volume without a colon fails the configuration', () => {
    expect(() => createDockerProvider({ image: 'worker', volumes: ['abcd=efgh'] })).toThrow(InvalidVolumeError);
  });

  it('accepts renderable image, volumes, items, hostconfig and dockerHost without checking them until start', () => {
    expect(() =>
      createDockerProvider({
        image: new Interpolate('%(prop:image)s'),
        volumes: [new Interpolate('/data:/worker/%(prop:builder)s')],
        hostconfig: { network_mode: new Interpolate('%(prop:net)s') },
        dockerHost: new Interpolate('tcp://%(prop:host)s:2375'),
        hostname: new Interpolate('%(prop:builder)s'),
      }),
    ).not.toThrow();
  });

  it('names unknown hostconfig keys at creation', () => {
    expect(() => createDockerProvider({ image: 'worker', hostconfig: { networkMode: 'none' } })).toThrow(
      UnknownHostConfigKeyError,
    );
  });

  it('rejects unknown settings, pointing Buildbot spellings to their camelCase name', () => {
    expect(() => createDockerProvider({ image: 'worker', docker_host: 'x' } as never)).toThrow(
      /docker_host \(write dockerHost\)/,
    );
  });

  it('rejects wrong types with the setting name', () => {
    expect(() => createDockerProvider({ image: 42 } as never)).toThrow(/image must be a string/);
    expect(() => createDockerProvider({ image: 'w', autopull: 'yes' } as never)).toThrow(
      /autopull must be true or false/,
    );
    expect(() => createDockerProvider({ image: 'w', encoding: 'zip' })).toThrow(/encoding must be one of gzip/);
    expect(() => createDockerProvider({ image: 'w', volumes: '/a:/b' } as never)).toThrow(/volumes must be a list/);
  });

  it('checks dockerHost: unsupported schemes and empty socket paths say what to write', () => {
    expect(() => createDockerProvider({ image: 'w', dockerHost: 'ssh://me@host' })).toThrow(/ssh:\/\/.*not support/);
    expect(() => createDockerProvider({ image: 'w', dockerHost: 'unix://' })).toThrow(/no absolute socket path/);
    expect(() => createDockerProvider({ image: 'w', dockerHost: 'ftp://host' })).toThrow(/unsupported scheme ftp/);
  });

  it('refuses a docker client together with dockerHost, and unreadable TLS files', () => {
    expect(() => createDockerProvider({ image: 'w', docker: new Dockerode(), dockerHost: 'unix:///x' })).toThrow(
      /not both/,
    );
    expect(() => createDockerProvider({ image: 'w', tls: { ca: '/nonexistent/ca.pem' } })).toThrow(
      /cannot read tls.ca/,
    );
    expect(() => createDockerProvider({ image: 'w', tls: { cert: '-----BEGIN CERTIFICATE-----' } })).toThrow(
      /tls.cert and tls.key go together/,
    );
  });
});

describe('splitCommand', () => {
  it('splits a command string like a shell (docker-py shlex.split)', () => {
    expect(splitCommand('sleep 300')).toEqual(['sleep', '300']);
    expect(splitCommand(`sh -c 'echo "a b"; exit 3'`)).toEqual(['sh', '-c', 'echo "a b"; exit 3']);
    expect(splitCommand('echo "x \\"y\\"" z\\ w')).toEqual(['echo', 'x "y"', 'z w']);
    expect(() => splitCommand("echo 'open")).toThrow(/unclosed ' quote/);
  });
});
