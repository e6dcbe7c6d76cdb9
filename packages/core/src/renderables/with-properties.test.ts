import { describe, expect, it } from 'vitest';
import { ConfigurationError, RenderError } from '../errors.js';
import { render, WithProperties } from './index.js';
import { propertiesWith } from './properties.test-support.js';

describe('P82 WithProperties (TestWithProperties.*)', () => {
  it('testInvalidParams: positional and keyword substitutions together are refused', () => {
    expect(() => new WithProperties('%s %(foo)s', 'x', { foo: () => 2 } as never)).toThrow(
      new ConfigurationError('WithProperties takes either positional or keyword substitutions, not both.'),
    );
  });

  it('testLambdaCallable: a non-callable keyword substitution is refused', () => {
    expect(() => new WithProperties('%(foo)s', { foo: 'bar' } as never)).toThrow(
      new ConfigurationError('Value for lambda substitution "foo" must be callable.'),
    );
  });

  it('testLambdaUseExisting: a lambda reads existing properties', async () => {
    const withProperties = new WithProperties('%(foo)s', {
      foo: (properties) => (properties.getProperty('x') as number) + (properties.getProperty('y') as number),
    });
    expect(await render(withProperties, propertiesWith({ x: 10, y: 20 }))).toBe('30');
  });

  it('testClearTempValues: lambda values last one rendering', async () => {
    let calls = 0;
    const withProperties = new WithProperties('%(foo)s', {
      foo: () => {
        calls += 1;
        return calls;
      },
    });
    const properties = propertiesWith();
    expect(await render(withProperties, properties)).toBe('1');
    expect(await render(withProperties, properties)).toBe('2');
    expect(properties.hasProperty('foo')).toBe(false);
  });

  it('testBasic / positional: arguments are property names', async () => {
    expect(await render(new WithProperties('build-%s.tar.gz', 'revision'), propertiesWith({ revision: '47' }))).toBe(
      'build-47.tar.gz',
    );
  });

  it('positional: a missing property is a KeyError, None prints as empty', async () => {
    await expect(render(new WithProperties('%s', 'nope'), propertiesWith())).rejects.toThrow(
      new RenderError("KeyError: 'nope'"),
    );
    expect(await render(new WithProperties('[%s]', 'none'), propertiesWith({ none: null }))).toBe('[]');
  });

  it('values keep their type for numeric conversions', async () => {
    expect(await render(new WithProperties('%(n)03d', {}), propertiesWith({ n: 7 }))).toBe('007');
  });

  it('malformed formats are configuration errors', () => {
    expect(() => new WithProperties('%(x)')).toThrow(ConfigurationError);
    expect(() => new WithProperties('%s %s', 'a')).toThrow(/not enough arguments/);
    expect(() => new WithProperties('%s')).toThrow(/positional substitution/);
  });
});
