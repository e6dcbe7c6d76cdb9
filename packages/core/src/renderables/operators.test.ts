import { describe, expect, it } from 'vitest';
import { RenderError } from '../errors.js';
import { Interpolate, Properties, Property, render } from './index.js';

function props(values: Record<string, unknown>): Properties {
  const properties = new Properties();
  properties.update(values, 'scheduler');
  return properties;
}

const P = () => new Property('do-tests');

describe('P84 comparison and arithmetic renderers (TestProperty.testComp*, testProp*)', () => {
  const cases: [string, () => unknown, Record<string, unknown>, unknown][] = [
    ['testCompEq: P == 2', () => P().eq(2), { 'do-tests': 2 }, true],
    ['testCompNe: P != 2', () => P().ne(2), { 'do-tests': 2 }, false],
    ['testCompLt: P < 2', () => P().lt(2), { 'do-tests': 1 }, true],
    ['testCompLe: P <= 2', () => P().le(2), { 'do-tests': 2 }, true],
    ['testCompGt: P > 2', () => P().gt(2), { 'do-tests': 3 }, true],
    ['testCompGe: P >= 2', () => P().ge(2), { 'do-tests': 1 }, false],
    ['literal on the left: 2 < P is P > 2', () => P().gt(2), { 'do-tests': 3 }, true],
    ['two properties: P == P2', () => P().eq(new Property('do-tests2')), { 'do-tests': 'a', 'do-tests2': 'a' }, true],
    [
      'two properties: P < P2 (strings)',
      () => P().lt(new Property('do-tests2')),
      { 'do-tests': 'a', 'do-tests2': 'b' },
      true,
    ],
    ['Python equality: 1 == True', () => P().eq(true), { 'do-tests': 1 }, true],
    ['Python equality: lists', () => P().eq([1, 'a']), { 'do-tests': [1, 'a'] }, true],
    ['testPropAdd: P + 1', () => P().add(1), { 'do-tests': 2 }, 3],
    ['testPropAdd: strings concatenate', () => P().add('-x'), { 'do-tests': 'a' }, 'a-x'],
    ['radd: 1 + P', () => P().radd(1), { 'do-tests': 2 }, 3],
    ['testPropSub: P - 1', () => P().sub(1), { 'do-tests': 2 }, 1],
    ['rsub: 5 - P', () => P().rsub(5), { 'do-tests': 2 }, 3],
    ['testPropMul: P * 3', () => P().mul(3), { 'do-tests': 2 }, 6],
    ['rmul: "ab" * P', () => P().rmul('ab'), { 'do-tests': 2 }, 'abab'],
    ['testPropDiv: P / 2', () => P().div(2), { 'do-tests': 5 }, 2.5],
    ['testPropFloorDiv: P // 2', () => P().floorDiv(2), { 'do-tests': 5 }, 2],
    ['floor division rounds toward -inf: -7 // 2', () => P().floorDiv(2), { 'do-tests': -7 }, -4],
    ['testPropMod: P % 2', () => P().mod(2), { 'do-tests': 5 }, 1],
    ['Python modulo takes the divisor’s sign: -7 % 3', () => P().mod(3), { 'do-tests': -7 }, 2],
    ['string % value formats', () => P().mod(7), { 'do-tests': 'n=%03d' }, 'n=007'],
    ['testPropIn: P in [1, 2]', () => P().in_([1, 2]), { 'do-tests': 2 }, true],
    ['in a string', () => P().in_('abc'), { 'do-tests': 'b' }, true],
    ['chained: (P + 1) * 2', () => P().add(1).mul(2), { 'do-tests': 2 }, 6],
    [
      'Interpolate operands: Interpolate == "a-1"',
      () => new Interpolate('a-%(prop:do-tests)s').eq('a-1'),
      { 'do-tests': 1 },
      true,
    ],
  ];
  for (const [name, make, values, expected] of cases) {
    it(`P84 ${name}`, async () => {
      expect(await render(make(), props(values))).toEqual(expected);
    });
  }

  it('Python’s TypeError for unorderable values is a RenderError', async () => {
    await expect(render(P().lt('a'), props({ 'do-tests': 1 }))).rejects.toThrow(
      new RenderError("TypeError: '<' not supported between instances of 'int' and 'str'"),
    );
    await expect(render(P().add(1), props({ 'do-tests': 'a' }))).rejects.toThrow(
      'TypeError: can only concatenate str (not "int") to str',
    );
  });

  it('division by zero is a RenderError', async () => {
    await expect(render(P().div(0), props({ 'do-tests': 1 }))).rejects.toThrow('ZeroDivisionError: division by zero');
  });

  it('ints stay exact past 2^53', async () => {
    expect(await render(P().mul(P()), props({ 'do-tests': 2 ** 40 }))).toBe(2n ** 80n);
  });

  it('repr is Buildbot’s', () => {
    expect(String(P().lt(2))).toBe('Property(do-tests) < 2');
    expect(String(P().radd('x'))).toBe("'x' + Property(do-tests)");
  });
});
