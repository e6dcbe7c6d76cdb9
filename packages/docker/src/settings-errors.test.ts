import {
  CannotSubstantiateError,
  ConfigurationError,
  FailedToSubstantiateError,
  Interpolate,
  LatentWorker,
  type RenderError,
  renderer,
} from '@latentci/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createDockerProvider } from './docker-provider.js';
import { DockerRequestRejectedError, InvalidHostConfigValueError } from './errors.js';
import { withEngine } from './test-engine.js';
import {
  cleanUpMaster,
  docker,
  engineIsPodman,
  startRequest,
  uniqueMasterId,
  uniqueWorkerName,
} from './test-support.js';
import { importBusyboxImage } from './testing/busybox-image.js';
import { type DockerTcpForwarder, startDockerTcpForwarder } from './testing/tcp-forwarder.js';

// Defect 4 of issue #23: settings errors must be non-retryable configuration errors, found before
// the first request where they can be, and the engine's "bad request" answers classified as such.
const masterId = uniqueMasterId('settings-errors');
let busyboxImage: string;
let forwarder: DockerTcpForwarder;

withEngine(async () => {
  busyboxImage = await importBusyboxImage({ docker });
  forwarder = await startDockerTcpForwarder();
});

afterAll(async () => {
  await cleanUpMaster(masterId);
  await forwarder?.close();
});

const signal = () => AbortSignal.timeout(60_000);

/** Starts once through the forwarder; resolves with the error and how many connections reached the engine. */
async function startFails(
  settings: Parameters<typeof createDockerProvider>[0],
  workerName = uniqueWorkerName('bad'),
): Promise<{ error: Error; connections: number }> {
  const provider = createDockerProvider({ dockerHost: forwarder.dockerHost, command: ['sleep', '300'], ...settings });
  const { request } = startRequest({ workerName, masterId });
  const before = forwarder.connections;
  const error = await provider.startInstance(request, { signal: signal() }).then(
    async (instance) => {
      await provider.stopInstance({ request, instance }, { fast: true, signal: signal() });
      throw new Error('the start should have failed');
    },
    (failure: Error) => failure,
  );
  return { error, connections: forwarder.connections - before };
}

function expectConfigurationError(error: Error, pattern: RegExp): void {
  expect(error).toBeInstanceOf(ConfigurationError);
  expect(error).not.toBeInstanceOf(FailedToSubstantiateError);
  expect((error as ConfigurationError).retryable).toBe(false);
  expect(error.message).toMatch(pattern);
  expect(error.message.length).toBeLessThan(1000);
}

describe('defect 4 (#23): settings errors are configuration errors, not backend errors', () => {
  it('invalid image references are refused at creation, before any request', () => {
    for (const [image, why] of [
      ['Latentci-probe:0.1.0', /must be lowercase \(write "latentci-probe:0\.1\.0"\)/],
      ['   ', /it is empty/],
      ['x'.repeat(10 * 1024 * 1024), /longer than 255 characters/],
      ['busybox:lat est', /white space/],
      ['busybox::1', /not a valid image reference/],
    ] as const) {
      let error: unknown;
      try {
        createDockerProvider({ image });
      } catch (thrown) {
        error = thrown;
      }
      expectConfigurationError(error as Error, why);
    }
  });

  it('an image rendered at start to an invalid reference fails before any request', async () => {
    const { error, connections } = await startFails({ image: new Interpolate('Latentci-%(prop:x:-probe)s:0.1.0') });
    expectConfigurationError(error, /must be lowercase/);
    expect(connections).toBe(0);
  });

  it('worker names Docker refuses as container names fail before any request', async () => {
    for (const name of ['with space', 'a/b', 'a:b', 'wörker']) {
      const { error, connections } = await startFails({ image: busyboxImage }, name);
      expectConfigurationError(error, /cannot name a Docker container.*rename the worker/);
      expect(connections).toBe(0);
    }
  });

  it('an unknown capability and a bad port spec are refused at creation; rendered at start, before any request', async () => {
    const creating = (hostconfig: Record<string, unknown>) => {
      try {
        createDockerProvider({ image: busyboxImage, hostconfig });
      } catch (error) {
        return error as Error;
      }
      throw new Error('the creation should have failed');
    };
    const capability = creating({ cap_add: ['CAP_FOO'] });
    expect(capability).toBeInstanceOf(InvalidHostConfigValueError);
    expectConfigurationError(capability, /unknown: CAP_FOO/);
    expectConfigurationError(creating({ port_bindings: { '80/xyz': 8080 } }), /bad key "80\/xyz"/);
    const rendered = await startFails({
      image: busyboxImage,
      hostconfig: { cap_add: [new Interpolate('%(prop:cap:-CAP_FOO)s')] },
    });
    expect(rendered.error).toBeInstanceOf(InvalidHostConfigValueError);
    expect(rendered.error.message).toMatch(/unknown: CAP_FOO/);
    expect(rendered.connections).toBe(0);
  });

  it("the engine's 400 answers about a value are non-retryable configuration errors", async () => {
    const { error } = await startFails({ image: busyboxImage, hostconfig: { cpuset_cpus: 'abc' } });
    expect(error).toBeInstanceOf(DockerRequestRejectedError);
    // Docker answers 400; Podman 500 with the Go error in `cause` ("invalid value abc for cpuset cpus").
    const status = (await engineIsPodman()) ? 500 : 400;
    expect((error as DockerRequestRejectedError).statusCode).toBe(status);
    expectConfigurationError(
      error,
      new RegExp(`refused to create container .* \\(HTTP ${status}\\):.*invalid value abc for cpuset cpus`, 'i'),
    );
  });

  it("the engine's 431 for an oversized value is a non-retryable configuration error", async () => {
    // A 2 MB worker name is a valid container name, but no request carrying it fits the engine's limits.
    const { error } = await startFails({ image: busyboxImage }, 'x'.repeat(2 * 1024 * 1024));
    expect(error).toBeInstanceOf(DockerRequestRejectedError);
    expect((error as DockerRequestRejectedError).statusCode).toBe(431);
    expectConfigurationError(error, /\(HTTP 431\)/);
  });

  it('deeply nested settings are a configuration error, not a raw RangeError', async () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let level = 0; level < 100_000; level++) deep = { nested: deep };
    const started = Date.now();
    let error: unknown;
    try {
      createDockerProvider({ image: busyboxImage, hostconfig: { Annotations: deep } });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).not.toBeInstanceOf(RangeError);
    expect((error as ConfigurationError).code).toBe('CONFIGURATION_ERROR');
    expect((error as Error).message).toMatch(/nested deeper than 200 levels/);
    // Rendered at start (a renderer's result is rendered again): core's render bounds the depth.
    const rendered = await startFails({ image: busyboxImage, hostconfig: renderer(() => ({ Annotations: deep })) });
    expect(rendered.error).not.toBeInstanceOf(RangeError);
    expect((rendered.error as RenderError).code).toBe('RENDER_ERROR');
    expect((rendered.error as RenderError).retryable).toBe(false);
    expect(rendered.error.message).toMatch(/nested deeper than 200 levels/);
    expect(rendered.connections).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('through the lifecycle: the start ends in a non-retryable CannotSubstantiateError', async () => {
    const worker = new LatentWorker({
      name: 'bad name',
      masterId,
      masterFQDN: '172.17.0.1',
      provider: createDockerProvider({ image: busyboxImage }),
      missingTimeout: 30,
    });
    const error = await worker.substantiate().then(
      () => undefined,
      (failure: Error) => failure,
    );
    await worker.shutdown();
    expect(error).toBeInstanceOf(CannotSubstantiateError);
    expect((error as CannotSubstantiateError).retryable).toBe(false);
    expect((error as Error & { cause?: unknown }).cause).toBeInstanceOf(ConfigurationError);
  });
});
