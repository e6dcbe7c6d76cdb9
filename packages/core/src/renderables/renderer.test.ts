import { describe, expect, it } from 'vitest';
import { ConfigurationError, RenderError } from '../errors.js';
import { Interpolate, Property, type Renderable, render, renderer, Transform } from './index.js';
import { propertiesWith } from './properties.test-support.js';
import { pythonRepr } from './python-values.js';

function later<T>(value: T): Renderable<T> {
  return { getRenderingFor: () => new Promise<T>((resolve) => setTimeout(() => resolve(value), 1)) };
}

describe('P80 renderer (Renderer.*)', () => {
  it('test_renderer: the function gets the properties', async () => {
    const rend = renderer((properties) => `x${properties.getProperty('x')}x`);
    expect(await render(rend, propertiesWith({ x: 'X' }))).toBe('xXx');
  });

  it('test_renderer_deferred: a promise-returning function works', async () => {
    const rend = renderer(async (properties) => `x${properties.getProperty('x')}x`);
    expect(await render(rend, propertiesWith({ x: 'X' }))).toBe('xXx');
  });

  it('test_renderer_fails: a failing function rejects with its own error', async () => {
    const rend = renderer(() => {
      throw new TypeError('fails');
    });
    await expect(render(rend, propertiesWith())).rejects.toThrow(new TypeError('fails'));
  });

  it('test_renderer_called: the wrapper itself is not callable', () => {
    const rend = renderer(() => 'x');
    expect(() => (rend as unknown as () => unknown)()).toThrow(TypeError);
  });

  it('test_renderer_decorator_with_state: derived renderers do not share arguments', async () => {
    const rend = renderer(
      (properties, arg: string, kwargs: Record<string, string>) =>
        `x-${properties.getProperty('x')}-${pythonRepr([arg])}-${pythonRepr(kwargs)}`,
    );
    const first = rend.withArgs('a').withKwargs({ kwarg1: 'kw1' });
    const second = rend.withArgs('b').withKwargs({ kwarg2: 'kw2' });
    const properties = propertiesWith({ x: 'X' });
    // Buildbot prints the args tuple, ('a',); the JavaScript arguments are a list.
    expect(await render(first, properties)).toBe("x-X-['a']-{'kwarg1': 'kw1'}");
    expect(await render(second, properties)).toBe("x-X-['b']-{'kwarg2': 'kw2'}");
  });

  it('withKwargs merges, later values win', async () => {
    const rend = renderer((_properties, kwargs: Record<string, string>) => pythonRepr(kwargs));
    expect(await render(rend.withKwargs({ a: '1', b: '1' }).withKwargs({ b: '2' }), propertiesWith())).toBe(
      "{'a': '1', 'b': '2'}",
    );
  });

  it('renders a returned container of renderables', async () => {
    const rend = renderer(() => [new Property('x'), { y: new Interpolate('%(prop:x)s!') }]);
    expect(await render(rend, propertiesWith({ x: 1 }))).toEqual([1, { y: '1!' }]);
  });

  it('repr names the function and its arguments', () => {
    function rend() {
      return 1;
    }
    expect(String(renderer(rend))).toBe('renderer(<function rend>)');
    expect(String(renderer(rend).withArgs(1))).toBe('renderer(<function rend>, args=[1], kwargs={})');
  });
});

describe('P81 Transform (TestTransform.*)', () => {
  it('test_invalid_first_arg: a non-function, non-renderable is a configuration error', () => {
    expect(() => new Transform(null as unknown as () => unknown)).toThrow(ConfigurationError);
    expect(() => new Transform(null as unknown as () => unknown)).toThrow(
      'function given to Transform neither callable nor renderable',
    );
  });

  it('test_argless: Transform(() => "abc") renders abc', async () => {
    expect(await render(new Transform(() => 'abc'), propertiesWith())).toBe('abc');
  });

  it('test_rendered_func: a renderable producing a closure over the properties', async () => {
    const fn = renderer((properties) => () => properties.getProperty('propname'));
    expect(await render(new Transform(fn), propertiesWith({ propname: 'propvalue' }))).toBe('propvalue');
  });

  it('test_deferred: function, argument and keyword argument all resolve later', async () => {
    const transform = new Transform(
      later((x: string, { y }: { y: string }) => `${x}|${y}`),
      later('abc'),
      { y: later('def') },
    );
    expect(await render(transform, propertiesWith())).toBe('abc|def');
  });

  it('the result is not rendered again', async () => {
    const inner = new Property('x');
    expect(await render(new Transform(() => inner), propertiesWith({ x: 1 }))).toBe(inner);
  });

  it('a renderable that renders to a non-function is a RenderError', async () => {
    await expect(render(new Transform(new Property('x')), propertiesWith({ x: 'text' }))).rejects.toBeInstanceOf(
      RenderError,
    );
    await expect(render(new Transform(new Property('x')), propertiesWith({ x: 'text' }))).rejects.toThrow(
      "TypeError: 'str' object is not callable",
    );
  });
});
