import { Interpolate, Properties, Property } from '@latentci/core';
import { describe, expect, it } from 'vitest';
import { createDockerProvider } from './docker-provider.js';

function buildProperties(builder: string): Properties {
  const properties = new Properties();
  properties.update({ image: 'busybox:latest', builder, distro: 'wheezy' }, 'Build');
  return properties;
}

describe('renderStartSettings (Buildbot renderWorkerProps)', () => {
  it('D12: a renderable dockerHost renders with the build', async () => {
    const provider = createDockerProvider({
      image: 'worker',
      dockerHost: new Interpolate('tcp://value-%(prop:builder)s'),
    });
    expect((await provider.renderStartSettings(buildProperties('docker_worker'))).dockerHost).toBe(
      'tcp://value-docker_worker',
    );
  });

  it('D13/D24/D14: renderable volume items, image and hostconfig values render with the build', async () => {
    const provider = createDockerProvider({
      image: new Property('image'),
      volumes: [new Interpolate('/data:/worker/%(kw:builder)s/build', { builder: new Property('builder') })],
      hostconfig: { network_mode: new Interpolate('value-%(kw:builder)s', { builder: new Property('builder') }) },
    });
    expect(await provider.renderStartSettings(buildProperties('docker_worker'))).toMatchObject({
      image: 'busybox:latest',
      volumes: ['/data:/worker/docker_worker/build'],
      hostconfig: { network_mode: 'value-docker_worker' },
    });
  });

  it('D32: a renderable dockerfile renders with the build', async () => {
    const provider = createDockerProvider({ dockerfile: new Interpolate('FROM debian:%(prop:distro)s') });
    expect((await provider.renderStartSettings(buildProperties('docker_worker'))).dockerfile).toBe(
      'FROM debian:wheezy',
    );
  });

  it('D15/D16: settings that depend on the builder differ between builds, others do not', async () => {
    const dependent = createDockerProvider({
      image: 'worker',
      volumes: [new Interpolate('/data:/worker/%(prop:builder)s')],
    });
    const first = await dependent.renderStartSettings(buildProperties('docker_worker'));
    const second = await dependent.renderStartSettings(buildProperties('docker_worker2'));
    expect(second).not.toEqual(first);
    const independent = createDockerProvider({ image: 'worker', volumes: ['/data:/worker'] });
    expect(await independent.renderStartSettings(buildProperties('docker_worker2'))).toEqual(
      await independent.renderStartSettings(buildProperties('docker_worker')),
    );
  });

  it('a volume list that renders to something else than strings is a retryable configuration error', async () => {
    const provider = createDockerProvider({ image: 'worker', volumes: new Property('volumes') });
    const properties = new Properties();
    properties.update({ volumes: 42 }, 'Build');
    await expect(provider.renderStartSettings(properties)).rejects.toMatchObject({
      code: 'CONFIGURATION_ERROR',
      retryable: true,
      message: expect.stringMatching(/volumes must render to a list of strings/),
    });
  });
});
