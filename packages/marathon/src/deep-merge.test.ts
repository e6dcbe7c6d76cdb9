import { describe, expect, it } from 'vitest';
import { deepMerge } from './deep-merge.js';

describe('marathonExtraConfig merge (Buildbot dictionary_merge, reference §4.3)', () => {
  it('merges objects recursively and keeps null as an explicit value (M7)', () => {
    const generated = {
      container: { docker: { image: 'rendered:debian:wheezy', network: 'BRIDGE' }, type: 'DOCKER' },
      env: { BUILDMASTER: 'master', WORKERNAME: 'bot' },
    };
    const merged = deepMerge(generated, { container: { docker: { network: null } }, env: { PARAMETER: 'foo' } });
    expect(merged).toEqual({
      container: { docker: { image: 'rendered:debian:wheezy', network: null }, type: 'DOCKER' },
      env: { BUILDMASTER: 'master', WORKERNAME: 'bot', PARAMETER: 'foo' },
    });
  });

  it('replaces arrays instead of concatenating them', () => {
    expect(deepMerge({ constraints: [['a', 'UNIQUE']] }, { constraints: [['hostname', 'CLUSTER', 'x']] })).toEqual({
      constraints: [['hostname', 'CLUSTER', 'x']],
    });
  });

  it('replaces an object by a scalar and a scalar by an object', () => {
    expect(deepMerge({ a: { b: 1 }, c: 2 }, { a: 3, c: { d: 4 } })).toEqual({ a: 3, c: { d: 4 } });
  });

  it('adds keys the generated app does not have (cpus, mem, networks)', () => {
    expect(deepMerge({ id: '/x' }, { cpus: 0.5, mem: 256, networks: [{ mode: 'container/bridge' }] })).toEqual({
      id: '/x',
      cpus: 0.5,
      mem: 256,
      networks: [{ mode: 'container/bridge' }],
    });
  });

  it('modifies neither input', () => {
    const base = { env: { A: '1' } };
    const extra = { env: { B: '2' }, list: [{ x: 1 }] };
    const merged = deepMerge(base, extra);
    (merged.list as { x: number }[])[0]!.x = 9;
    expect(base).toEqual({ env: { A: '1' } });
    expect(extra).toEqual({ env: { B: '2' }, list: [{ x: 1 }] });
  });

  it('copies a "__proto__" key as data and never changes a prototype (regression: it replaced the prototype)', () => {
    const extra = JSON.parse('{"__proto__": {"polluted": true}, "container": {"__proto__": {"polluted": true}}}');
    const merged = deepMerge({ container: { type: 'DOCKER' } }, extra);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect((merged as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.hasOwn(merged, '__proto__')).toBe(true);
    const container = merged.container as Record<string, unknown>;
    expect(Object.getPrototypeOf(container)).toBe(Object.prototype);
    expect(container.polluted).toBeUndefined();
    expect(container.type).toBe('DOCKER');
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(JSON.parse(JSON.stringify(merged))).toEqual(
      JSON.parse('{"__proto__": {"polluted": true}, "container": {"type": "DOCKER", "__proto__": {"polluted": true}}}'),
    );
  });
});
