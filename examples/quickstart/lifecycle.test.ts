import { simulateInMemoryWorkers } from '@latentci/cli';
import { createInMemoryProvider } from '@latentci/core/testing';
import { expect, it } from 'vitest';
import { runLifecycle } from './lifecycle.js';

it('runs two builds on one instance, stops it after the idle timeout, and shuts down with nothing left', async () => {
  const provider = createInMemoryProvider();
  simulateInMemoryWorkers(provider);
  const timeline = await runLifecycle({
    provider,
    host: '127.0.0.1',
    buildSeconds: 0.05,
    idleSeconds: 0.2,
    print: () => {},
  });
  const text = timeline.join('\n');
  expect(text).toContain('build 1 requested: substantiating a worker');
  expect(text).toContain('build 2 requested: the instance is still running, reusing it');
  expect(text).toContain('idle instance stopped and removed');
  expect(text).toContain('state → SHUT_DOWN');
  expect(provider.startCount).toBe(1);
  expect(provider.stopCount).toBe(1);
  expect(provider.liveInstances).toEqual([]);
});
