import { describe, expect, it } from 'vitest';
import { Interpolate, Properties } from './index.js';

describe('P83 Properties (TestProperties.*)', () => {
  it('test_setProperty_notJsonable: a non-JSON value is a TypeError', () => {
    const properties = new Properties();
    expect(() => properties.setProperty('x', new Set([1]), 'test')).toThrow(TypeError);
    expect(() => properties.setProperty('x', () => 1, 'test')).toThrow(/not JSON serializable/);
    expect(() => properties.setProperty('x', { nested: [undefined] }, 'test')).toThrow(TypeError);
    expect(() => properties.setProperty('x', Number.NaN, 'test')).toThrow(/Out of range float/);
  });

  it('accepts renderables as values', () => {
    const properties = new Properties();
    const value = new Interpolate('%(prop:y)s');
    properties.setProperty('x', value, 'test');
    expect(properties.getProperty('x')).toBe(value);
  });

  it('test_setProperty_no_source: a missing source is a TypeError', () => {
    const properties = new Properties();
    expect(() => (properties.setProperty as (name: string, value: unknown) => void)('x', 1)).toThrow(
      new TypeError("setProperty() missing 1 required positional argument: 'source'"),
    );
  });

  it('testUpdateRuntime: update(..., runtime) marks the names runtime', () => {
    const properties = new Properties();
    properties.update({ a: 1, b: 2 }, 'test', true);
    properties.update({ c: 3 }, 'test');
    expect([...properties.runtime].sort()).toEqual(['a', 'b']);
    expect(properties.isRuntime('c')).toBe(false);
  });

  it('testUpdateFromPropertiesNoRuntime: runtime properties of the other are skipped', () => {
    const other = new Properties();
    other.setProperty('kept', 1, 'other');
    other.setProperty('skipped', 2, 'other', true);
    const properties = new Properties();
    properties.updateFromPropertiesNoRuntime(other);
    expect(properties.asDict()).toEqual({ kept: [1, 'other'] });
  });

  it('testUpdateFromProperties: copies values, sources and runtime marks', () => {
    const other = new Properties();
    other.setProperty('a', 1, 'other', true);
    const properties = new Properties();
    properties.setProperty('a', 0, 'mine');
    properties.setProperty('b', 2, 'mine');
    properties.updateFromProperties(other);
    expect(properties.asList()).toEqual([
      ['a', 1, 'other'],
      ['b', 2, 'mine'],
    ]);
    expect(properties.isRuntime('a')).toBe(true);
  });

  it('testDictBehavior / getProperty / hasProperty / getPropertySource', () => {
    const properties = new Properties();
    properties.setProperty('do-tests', 1, 'scheduler');
    expect(properties.getProperty('do-tests')).toBe(1);
    expect(properties.getProperty('missing')).toBeNull();
    expect(properties.getProperty('missing', 'dflt')).toBe('dflt');
    expect(properties.hasProperty('do-tests')).toBe(true);
    expect(properties.hasProperty('missing')).toBe(false);
    expect(properties.getPropertySource('do-tests')).toBe('scheduler');
    expect(properties.getPropertySource('missing')).toBeUndefined();
    expect(properties.size).toBe(1);
  });

  it('testAsList / testAsDict', () => {
    const properties = new Properties();
    properties.setProperty('msi_filename', 'product.msi', 'packager');
    properties.setProperty('dmg_filename', 'product.dmg', 'packager');
    expect(properties.asList()).toEqual([
      ['dmg_filename', 'product.dmg', 'packager'],
      ['msi_filename', 'product.msi', 'packager'],
    ]);
    expect(properties.asDict()).toEqual({
      msi_filename: ['product.msi', 'packager'],
      dmg_filename: ['product.dmg', 'packager'],
    });
  });

  it('asDict keeps a property named __proto__ as data', () => {
    const properties = new Properties();
    properties.setProperty('__proto__', 1, 'test');
    expect(Object.hasOwn(properties.asDict(), '__proto__')).toBe(true);
  });

  it('getSourceStamp finds the stamp of a codebase', () => {
    const properties = new Properties({ sourceStamps: [{ codebase: '', branch: 'main' }, { codebase: 'lib' }] });
    expect(properties.getSourceStamp()?.branch).toBe('main');
    expect(properties.getSourceStamp('lib')).toEqual({ codebase: 'lib' });
    expect(properties.getSourceStamp('nope')).toBeUndefined();
  });

  it('cleanupTextFromSecrets replaces longer secrets first', () => {
    const properties = new Properties();
    properties.useSecret('abc', 'short');
    properties.useSecret('abcdef', 'long');
    expect(properties.cleanupTextFromSecrets('abcdef abc')).toBe('<long> <short>');
  });

  it('repr is Buildbot’s', () => {
    const properties = new Properties();
    properties.setProperty('a', [1, true], 'test');
    expect(String(properties)).toBe("Properties(**{'a': [1, True]})");
  });
});
