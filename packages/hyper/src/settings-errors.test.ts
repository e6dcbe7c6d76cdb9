import { randomBytes } from 'node:crypto';
import { ConfigurationError, renderer } from '@latentci/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperRequestRejectedError } from './errors.js';
import { createHyperProvider } from './hyper-provider.js';
import type { HyperProviderSettings } from './settings.js';
import { type HyperSimulator, startHyperSimulator } from './simulator/start-hyper-simulator.js';
import { testStartRequest } from './test-support/start-request.js';

// Defect 4 of issue #23: settings errors must be non-retryable configuration errors, found before
// the first request where they can be, and Hyper's "bad request" answers classified as such.
const ACCESS_KEY = 'SETTINGSERRORSACCESSKEY';
const SECRET_KEY = 'settings-errors-secret-key-abcdefghij';
const unique = randomBytes(3).toString('hex');
let simulator: HyperSimulator;

beforeAll(async () => {
  simulator = await startHyperSimulator({ credentials: { [ACCESS_KEY]: SECRET_KEY }, strict: true });
});

afterAll(async () => {
  await simulator?.close();
});

function settings(overrides: Partial<HyperProviderSettings> = {}): HyperProviderSettings {
  return { hyperHost: simulator.url, accessKey: ACCESS_KEY, secretKey: SECRET_KEY, image: 'busybox:1', ...overrides };
}

/** Starts once; resolves with the error and how many requests reached Hyper. */
async function startFails(
  overrides: Partial<HyperProviderSettings>,
  workerName = `bad-${unique}`,
): Promise<{ error: Error; requests: number }> {
  const provider = createHyperProvider(settings(overrides));
  const request = testStartRequest({ workerName });
  const before = simulator.requests.length;
  const error = await provider.startInstance(request, { signal: AbortSignal.timeout(30_000) }).then(
    () => {
      throw new Error('the start should have failed');
    },
    (failure: Error) => failure,
  );
  return { error, requests: simulator.requests.length - before };
}

describe('defect 4 (#23): settings errors are configuration errors, not backend errors', () => {
  it.each([
    ['an uppercase repository', 'Latentci-probe:0.1.0', /must be lowercase/],
    ['blank', '   ', /it is empty/],
    ['white space', 'busy box:1', /white space/],
    ['a 10 MB name', `a${'b'.repeat(10 * 1024 * 1024)}`, /longer than 255 characters/],
  ])('an image reference that is %s is refused when the provider is created', (_, image, why) => {
    let thrown: unknown;
    try {
      createHyperProvider(settings({ image }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as Error).message).toMatch(why);
    expect((thrown as Error).message.length).toBeLessThan(400);
  });

  it('a rendered image reference Hyper would refuse fails the start before any request, not retryable', async () => {
    const { error, requests } = await startFails({ image: renderer(() => 'Not/A Valid:Image') });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ retryable: false });
    expect(error.message).toMatch(/not a valid image reference/);
    expect(requests).toBe(0);
  });

  it.each([
    ['a space', 'bad worker'],
    ['a slash', 'bad/worker'],
    ['a colon', 'bad:worker'],
    ['unicode', 'wörker'],
  ])('a worker name with %s fails the start before any request, naming the worker', async (_, workerName) => {
    const { error, requests } = await startFails({}, workerName);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ retryable: false });
    expect(error.message).toContain(JSON.stringify(workerName));
    expect(error.message).toMatch(/rename the worker/);
    expect(requests).toBe(0);
  });

  it.each([
    [400, 'invalid parameter: Memory', /a setting has a value Hyper does not accept/],
    [413, 'request entity too large', /a setting is too large/],
    [431, 'request header fields too large', /a setting is too large/],
  ])(
    'Hyper answering the create with %i is a non-retryable HyperRequestRejectedError',
    async (status, message, why) => {
      simulator.setFaults({ errors: [{ status, message, method: 'POST', path: '/containers/create', times: 1 }] });
      try {
        const { error } = await startFails({}, `rejected-${status}-${unique}`);
        expect(error).toBeInstanceOf(HyperRequestRejectedError);
        expect(error).toBeInstanceOf(ConfigurationError);
        expect(error).toMatchObject({ retryable: false });
        expect(error.message).toMatch(why);
        expect(error.message).toContain(message);
        expect(error).toMatchObject({ status, call: 'POST /v1.23/containers/create' });
      } finally {
        simulator.setFaults({});
      }
    },
  );
});
