import { ConfigurationError, renderer } from '@latentci/core';
import { recordingStartRequest } from '@latentci/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarathonAppRejectedError } from './errors.js';
import { createMarathonProvider } from './marathon-provider.js';
import type { MarathonSettings } from './settings.js';
import { type MarathonSimulator, startMarathonSimulator } from './simulator/marathon-simulator.js';

// Defect 4 of issue #23: settings errors must be non-retryable configuration errors, found before
// the first request where they can be, and Marathon's "bad request" answers classified as such.
let simulator: MarathonSimulator;

beforeAll(async () => {
  simulator = await startMarathonSimulator({ runtime: 'virtual', deploymentDuration: 0 });
});

afterAll(async () => {
  await simulator?.close();
});

function settings(overrides: Partial<MarathonSettings> = {}): MarathonSettings {
  return { marathonUrl: simulator.url, image: 'busybox:1', retryDelayMs: 5, ...overrides };
}

/** Starts once; resolves with the error and how many requests reached Marathon. */
async function startFails(overrides: Partial<MarathonSettings>): Promise<{ error: Error; requests: number }> {
  const provider = createMarathonProvider(settings(overrides));
  const request = recordingStartRequest({ workerName: 'settings-errors' });
  const before = simulator.requests().length;
  const error = await provider.startInstance(request, { signal: AbortSignal.timeout(30_000) }).then(
    () => {
      throw new Error('the start should have failed');
    },
    (failure: Error) => failure,
  );
  return { error, requests: simulator.requests().length - before };
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
      createMarathonProvider(settings({ image }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as Error).message).toMatch(why);
    expect((thrown as Error).message.length).toBeLessThan(400);
  });

  it('a rendered image reference Docker would refuse fails the start before any request, not retryable', async () => {
    const { error, requests } = await startFails({
      image: renderer(() => 'Not/A Valid:Image') as unknown as MarathonSettings['image'],
    });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ retryable: false });
    expect(error.message).toMatch(/not a valid image reference/);
    expect(requests).toBe(0);
  });

  it.each([
    [400, 'Invalid JSON'],
    [413, 'Request Entity Too Large'],
    [431, 'Request Header Fields Too Large'],
  ])(
    'Marathon answering the create with %i is a non-retryable MarathonAppRejectedError, sent once',
    async (status, message) => {
      simulator.setFaults({ errors: [{ status, method: 'POST', path: '/v2/apps', body: { message } }] });
      try {
        const before = simulator.requests().filter((request) => request.method === 'POST').length;
        const { error } = await startFails({});
        expect(error).toBeInstanceOf(MarathonAppRejectedError);
        expect(error).toMatchObject({ retryable: false });
        expect(error.message).toContain(`(${status} ${message})`);
        expect(simulator.requests().filter((request) => request.method === 'POST').length - before).toBe(1);
      } finally {
        simulator.setFaults({});
      }
    },
  );
});
