import { describe, expect, it } from 'vitest';
import { assertProvider } from '../contract/assert-provider.js';
import { OWNER_LABELS, type StartInstanceRequest } from '../contract/provider.js';
import { Properties } from '../renderables/index.js';
import { InMemoryProvider } from './in-memory-provider.js';

function request(workerName = 'bot1'): StartInstanceRequest {
  return {
    workerName,
    password: 'secret-pass',
    master: { host: 'master' },
    environment: { WORKERNAME: workerName },
    properties: new Properties(),
    owner: { masterId: 'm', masterHash: 'abcdef', workerName },
    instanceName: `buildbot-${workerName}-abcdef`,
    labels: { [OWNER_LABELS.managed]: 'true', [OWNER_LABELS.master]: 'm', [OWNER_LABELS.worker]: workerName },
    events: { log() {}, progress() {} },
  };
}

const signal = new AbortController().signal;

describe('InMemoryProvider', () => {
  it('is a valid v1 provider with every capability', () => {
    const provider = assertProvider(new InMemoryProvider());
    expect(provider.capabilities).toEqual({
      healthCheck: true,
      perBuildSettings: true,
      orphanReaping: true,
      startupLogs: true,
      healthDetails: true,
    });
  });

  it('starts, checks and stops an instance, recording the calls', async () => {
    const provider = new InMemoryProvider();
    const instance = await provider.startInstance(request(), { signal });
    expect(instance.name).toBe('buildbot-bot1-abcdef');
    expect(await provider.checkInstance(instance, { signal })).toEqual({ healthy: true });
    provider.crash(instance, 'exit 137');
    expect(await provider.checkInstance(instance, { signal })).toEqual({ healthy: false, message: 'exit 137' });
    await provider.stopInstance({ request: request(), instance }, { fast: false, signal });
    expect(provider.liveInstances).toEqual([]);
    expect(await provider.checkInstance(instance, { signal })).toMatchObject({ healthy: false });
    expect([provider.startCount, provider.stopCount, provider.overlapDetected]).toEqual([1, 1, false]);
  });

  it('cleans up by instance name when stopped without an instance', async () => {
    const provider = new InMemoryProvider();
    await provider.startInstance(request(), { signal });
    await provider.stopInstance({ request: request() }, { fast: true, signal });
    expect(provider.liveInstances).toEqual([]);
  });

  it('lists and reaps orphans by owner labels', async () => {
    const provider = new InMemoryProvider();
    await provider.startInstance(request('a'), { signal });
    await provider.startInstance(request('b'), { signal });
    expect(
      (await provider.listOrphans({ masterId: 'm', workerName: 'a' }, { signal })).map((o) => o.workerName),
    ).toEqual(['a']);
    expect(await provider.listOrphans({ masterId: 'other' }, { signal })).toEqual([]);
    const reaped = await provider.reapOrphans({ masterId: 'm' }, { signal });
    expect(reaped.removed).toHaveLength(2);
    expect(provider.liveInstances).toEqual([]);
  });

  it('holds a start until released and honours its abort signal', async () => {
    const provider = new InMemoryProvider();
    const held = provider.holdNextStart();
    const controller = new AbortController();
    const start = provider.startInstance(request(), { signal: controller.signal });
    await held.called;
    controller.abort(new Error('cancelled'));
    await expect(start).rejects.toThrow('cancelled');
    expect(provider.starts[0]?.outcome).toBe('aborted');
  });

  it('renders start settings from worker_kind by default', async () => {
    const provider = new InMemoryProvider();
    const properties = new Properties();
    properties.setProperty('worker_kind', 'gpu', 'test');
    expect(await provider.renderStartSettings(properties)).toBe('gpu');
    expect(await provider.renderStartSettings(new Properties())).toBeNull();
  });

  it('detects overlapping calls', async () => {
    const provider = new InMemoryProvider();
    const held = provider.holdNextStart();
    const first = provider.startInstance(request(), { signal });
    await held.called;
    await provider.stopInstance({ request: request() }, { fast: false, signal });
    expect(provider.overlapDetected).toBe(true);
    held.release();
    await first;
  });
});
