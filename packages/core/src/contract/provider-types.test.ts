import { describe, expect, it } from 'vitest';
import { workerFixture } from '../lifecycle/fixture.test-support.js';
import { Properties } from '../renderables/index.js';
import type { InMemoryInstance } from '../testing/in-memory-provider.js';
import type { InstanceHandle, SignalOptions } from './provider.js';

function withImage(image: string): Properties {
  const properties = new Properties();
  properties.setProperty('image', image, 'test');
  return properties;
}

describe('the provider contract types', () => {
  it('InstanceHandle has no index signature: a misspelt property does not compile (regression)', () => {
    const handle: InstanceHandle = { id: 'c1', name: 'buildbot-w-abc123' };
    // @ts-expect-error `nmae` is not a property of InstanceHandle (the index signature typed it `unknown`).
    expect(handle.nmae).toBeUndefined();
    const extended: InMemoryInstance = { id: 'c2', name: 'n' } as InMemoryInstance;
    expect(extended.id).toBe('c2');
  });

  it('renderStartSettings gets a signal, at start and in isCompatibleWithBuild', async () => {
    const { worker, provider } = workerFixture();
    const signals: (AbortSignal | undefined)[] = [];
    provider.renderStartSettings = async (properties: Properties, options?: SignalOptions) => {
      signals.push(options?.signal);
      return { image: properties.getProperty('image') };
    };
    provider.autoAttach(worker);
    await worker.substantiate(withImage('a'));
    expect(await worker.isCompatibleWithBuild(withImage('a'))).toBe(true);
    expect(await worker.isCompatibleWithBuild(withImage('b'))).toBe(false);
    // The lifecycle's three calls, and the in-memory provider's own call from its start (no signal there).
    expect(signals.filter((signal) => signal !== undefined)).toHaveLength(3);
    for (const signal of signals.filter((signal) => signal !== undefined)) expect(signal).toBeInstanceOf(AbortSignal);
    await worker.shutdown();
  });
});
