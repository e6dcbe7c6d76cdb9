import { describe, expect, it } from 'vitest';
import { RenderError } from '../errors.js';
import { Interpolate, isRenderable, Property, type Renderable, render } from './index.js';
import { propertiesWith } from './properties.test-support.js';

/** Resolves after `ms`, to check that order does not depend on completion order. */
function after<T>(value: T, ms: number): Renderable<T> {
  return { getRenderingFor: () => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms)) };
}

describe('P79 render adapts lists, dicts and nested containers (TestRenderableAdapters, testRecursive*)', () => {
  it('test_list_deferred: renders every element and keeps order whatever the completion order', async () => {
    expect(await render([after('slow', 15), after('fast', 1), 'plain'], propertiesWith())).toEqual([
      'slow',
      'fast',
      'plain',
    ]);
  });

  it('renders the elements concurrently: every rendering starts before any finishes', async () => {
    const releases: (() => void)[] = [];
    const gate = (value: number): Renderable<number> => ({
      getRenderingFor: () => new Promise<number>((resolve) => releases.push(() => resolve(value))),
    });
    const rendering = render([gate(1), gate(2), gate(3)], propertiesWith());
    await new Promise((resolve) => setImmediate(resolve));
    expect(releases).toHaveLength(3);
    for (const release of releases.reverse()) release();
    expect(await rendering).toEqual([1, 2, 3]);
  });

  it('test_dict: renders plain-object values (keys are strings, left alone)', async () => {
    expect(await render({ a: new Property('x'), '%(prop:x)s': 'v' }, propertiesWith({ x: 'X' }))).toEqual({
      a: 'X',
      '%(prop:x)s': 'v',
    });
  });

  it('renders Map keys and values, so a renderable can be a key', async () => {
    const rendered = await render(
      new Map([[new Interpolate('k-%(prop:x)s'), after('v', 5)]]),
      propertiesWith({ x: 1 }),
    );
    expect(rendered).toEqual(new Map([['k-1', 'v']]));
  });

  it('testRecursiveList/Dict: renders through nesting', async () => {
    expect(
      await render({ list: [[new Property('x')], { deep: [new Property('x')] }] }, propertiesWith({ x: 7 })),
    ).toEqual({
      list: [[7], { deep: [7] }],
    });
  });

  it('the first failure rejects the whole rendering', async () => {
    const failing: Renderable = { getRenderingFor: () => Promise.reject(new Error('boom')) };
    await expect(render([after('ok', 5), failing], propertiesWith())).rejects.toThrow('boom');
  });

  it('leaves plain strings, numbers, null and class instances unchanged', async () => {
    const date = new Date(0);
    expect(await render('%(prop:x)s', propertiesWith({ x: 1 }))).toBe('%(prop:x)s');
    expect(await render(5, propertiesWith())).toBe(5);
    expect(await render(null, propertiesWith())).toBeNull();
    expect(await render(date, propertiesWith())).toBe(date);
  });

  it('awaits a promise without rendering its result', async () => {
    const inner = new Property('x');
    expect(await render(Promise.resolve(inner), propertiesWith({ x: 1 }))).toBe(inner);
  });

  it('refuses a container that contains itself', async () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    await expect(render(cyclic, propertiesWith())).rejects.toBeInstanceOf(RenderError);
  });

  it('isRenderable recognises objects with getRenderingFor', () => {
    expect(isRenderable(new Property('x'))).toBe(true);
    expect(isRenderable({ getRenderingFor: () => 1 })).toBe(true);
    expect(isRenderable({})).toBe(false);
    expect(isRenderable('x')).toBe(false);
    expect(isRenderable(null)).toBe(false);
  });

  it('Properties.render renders against itself', async () => {
    expect(await propertiesWith({ x: 'y' }).render([new Property('x')])).toEqual(['y']);
  });
});
