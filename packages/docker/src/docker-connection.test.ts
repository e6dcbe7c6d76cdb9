import { FailedToSubstantiateError } from '@latentci/core';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultDockerHost, parseDockerHost, tlsFromEnvironment } from './docker-connection.js';
import { createDockerProvider } from './docker-provider.js';
import { DockerEngineUnreachableError, DockerTlsError } from './errors.js';
import { withEngine } from './test-engine.js';
import { cleanUpMaster, docker, signal, startRequest, uniqueMasterId, uniqueWorkerName } from './test-support.js';
import { importBusyboxImage } from './testing/busybox-image.js';
import { type DockerTcpForwarder, startDockerTcpForwarder } from './testing/tcp-forwarder.js';
import { type DockerTlsForwarder, startDockerTlsForwarder } from './testing/tls-forwarder.js';

const masterId = uniqueMasterId('connection');
// The TLS engine is a TLS-terminating forwarder to whichever engine runs, with certificates made
// for this file: no dependency on the engine's own TLS listener or on files of this clone.
let TLS_HOST: string;
let tls: DockerTlsForwarder['tls'];
let busyboxImage: string;
let forwarder: DockerTcpForwarder;
let tlsForwarder: DockerTlsForwarder;

withEngine(async () => {
  busyboxImage = await importBusyboxImage({ docker });
  forwarder = await startDockerTcpForwarder();
  tlsForwarder = await startDockerTlsForwarder();
  TLS_HOST = tlsForwarder.dockerHost;
  tls = tlsForwarder.tls;
});

afterAll(async () => {
  await cleanUpMaster(masterId);
  await forwarder?.close();
  await tlsForwarder?.close();
});

async function startAndStop(settings: Parameters<typeof createDockerProvider>[0]): Promise<string> {
  const provider = createDockerProvider({ image: busyboxImage, command: ['sleep', '300'], ...settings });
  const { request } = startRequest({ workerName: uniqueWorkerName('engine'), masterId });
  const instance = await provider.startInstance(request, { signal: signal() });
  try {
    const inspected = await docker.getContainer(instance.id).inspect();
    expect(inspected.State.Running).toBe(true);
    expect(inspected.Name).toBe(`/${request.instanceName}`);
  } finally {
    await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
  }
  await expect(docker.getContainer(instance.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  return instance.dockerHost;
}

async function startError(settings: Parameters<typeof createDockerProvider>[0]): Promise<Error> {
  const provider = createDockerProvider({ image: busyboxImage, ...settings });
  const { request } = startRequest({ workerName: uniqueWorkerName('unreachable'), masterId });
  return provider.startInstance(request, { signal: signal() }).then(
    () => {
      throw new Error('the start should have failed');
    },
    (error: Error) => error,
  );
}

describe('reaching the engine', () => {
  it('over tcp:// (a loopback forwarder to the socket)', async () => {
    const before = forwarder.connections;
    expect(await startAndStop({ dockerHost: forwarder.dockerHost })).toBe(forwarder.dockerHost);
    expect(forwarder.connections).toBeGreaterThan(before);
  });

  it('defect 13 (#23): over TLS against any engine — tcp:// with tls, and https://, with the CA, client certificate and key the test made', async () => {
    expect(await startAndStop({ dockerHost: TLS_HOST, tls })).toBe(TLS_HOST);
    const https = TLS_HOST.replace('tcp://', 'https://');
    expect(await startAndStop({ dockerHost: https, tls, version: '1.41' })).toBe(https);
  });

  it('a TLS engine spoken to in plain HTTP is a typed TLS error that says to use TLS', async () => {
    const error = await startError({ dockerHost: TLS_HOST });
    expect(error).toBeInstanceOf(DockerTlsError);
    expect(error.message).toMatch(/expects TLS.*use an https:\/\/ dockerHost or set the tls option/);
  });

  it('a TLS handshake the engine refuses (no client certificate) is a typed TLS error', async () => {
    const error = await startError({ dockerHost: TLS_HOST, tls: { ca: tls.ca } });
    expect(error).toBeInstanceOf(FailedToSubstantiateError);
    expect(error).toBeInstanceOf(DockerTlsError);
    expect(error.message).toContain(`TLS connection to the Docker engine at ${TLS_HOST} failed`);
  });

  it('an engine certificate signed by an unknown CA is a typed TLS error', async () => {
    const error = await startError({ dockerHost: TLS_HOST, tls: { ca: tls.cert, cert: tls.cert, key: tls.key } });
    expect(error).toBeInstanceOf(DockerTlsError);
    expect(error.message).toMatch(/check that tls\.ca signs the engine's certificate/);
  });

  it('a missing socket is a retryable "engine unreachable" error that says how to start or reach the engine', async () => {
    const error = await startError({ dockerHost: 'unix:///nonexistent/latentci-docker.sock' });
    expect(error).toBeInstanceOf(DockerEngineUnreachableError);
    expect(error).toBeInstanceOf(FailedToSubstantiateError);
    expect((error as DockerEngineUnreachableError).retryable).toBe(true);
    expect(error.message).toMatch(
      /cannot reach the Docker engine at unix:\/\/\/nonexistent\/latentci-docker\.sock .*\(ENOENT\): start the Docker engine \(dockerd\) or set dockerHost/,
    );
  });

  it('a refused tcp connection is the same typed error', async () => {
    const error = await startError({ dockerHost: 'tcp://127.0.0.1:1' });
    expect(error).toBeInstanceOf(DockerEngineUnreachableError);
    expect(error.message).toMatch(/\(ECONNREFUSED\)/);
  });
});

describe('dockerHost parsing and defaults', () => {
  it('defaults to DOCKER_HOST, else the local socket', () => {
    expect(defaultDockerHost({})).toBe('unix:///var/run/docker.sock');
    expect(defaultDockerHost({ DOCKER_HOST: 'tcp://engine:2375' })).toBe('tcp://engine:2375');
  });

  it('reads DOCKER_TLS_VERIFY and DOCKER_CERT_PATH like the docker CLI', () => {
    expect(tlsFromEnvironment({})).toBeUndefined();
    expect(tlsFromEnvironment({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' })).toEqual({
      ca: '/certs/ca.pem',
      cert: '/certs/cert.pem',
      key: '/certs/key.pem',
      verify: true,
    });
  });

  it('parses unix, tcp (plain or TLS), https and bare host:port addresses', () => {
    expect(parseDockerHost('unix:///var/run/docker.sock', false)).toEqual({
      kind: 'socket',
      socketPath: '/var/run/docker.sock',
    });
    expect(parseDockerHost('tcp://1234:2375', false)).toEqual({ kind: 'tcp', host: '1234', port: 2375, tls: false });
    expect(parseDockerHost('tcp://engine', true)).toEqual({ kind: 'tcp', host: 'engine', port: 2376, tls: true });
    expect(parseDockerHost('https://engine:3000', false)).toEqual({
      kind: 'tcp',
      host: 'engine',
      port: 3000,
      tls: true,
    });
    expect(parseDockerHost('engine:2375', false)).toEqual({ kind: 'tcp', host: 'engine', port: 2375, tls: false });
    expect(parseDockerHost('tcp://[::1]:2375', false)).toEqual({ kind: 'tcp', host: '::1', port: 2375, tls: false });
  });
});
