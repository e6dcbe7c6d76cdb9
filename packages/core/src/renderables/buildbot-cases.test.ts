/**
 * Acceptance checks P01–P76 (reference §5.9 / §7.6): Buildbot's own renderable tests, input → output.
 * Every test name starts with its case id and Buildbot's test name.
 */
import { describe, expect, it } from 'vitest';
import { RenderError } from '../errors.js';
import {
  FlattenList,
  Interpolate,
  Properties,
  Property,
  type Renderable,
  render,
  renderer,
  type SourceStamp,
  Transform,
  WithProperties,
} from './index.js';
import { propertiesWith } from './properties.test-support.js';

/** Context PM: Buildbot's TestPropertyMap properties. */
function propertyMap(): Properties {
  const properties = new Properties();
  properties.update(
    {
      prop_str: 'a-string',
      prop_none: null,
      prop_list: ['a', 'b'],
      prop_zero: 0,
      prop_one: 1,
      prop_false: false,
      prop_true: true,
      prop_empty: '',
    },
    'test',
  );
  return properties;
}

/** Context SRC: TestInterpolateSrc's source stamps. */
const SRC: readonly SourceStamp[] = [
  { codebase: 'cbA', repository: 'cvs://A..', project: 'Project' },
  { codebase: 'cbB', repository: 'cvs://B..', project: 'Project' },
  { codebase: 'cbC', repository: 'cvs://C..', project: null },
];

/** Context KW-SRC: TestInterpolateKwargs' source stamp. */
const KW_SRC: readonly SourceStamp[] = [{ codebase: 'cbA', repository: 'cvs://A..', project: null, branch: 'default' }];

/** A renderable that resolves later (Buildbot's DeferredRenderable). */
function later<T>(value: T): Renderable<T> {
  return { getRenderingFor: () => new Promise<T>((resolve) => setTimeout(() => resolve(value), 1)) };
}

/** A structured deep copy keeping prototypes, like Python's copy.deepcopy. */
function deepCopy<T>(value: T, seen = new Map<unknown, unknown>()): T {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value) as T;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(deepCopy(item, seen));
    return copy as T;
  }
  if (value instanceof Map) {
    const copy = new Map();
    seen.set(value, copy);
    for (const [key, item] of value) copy.set(deepCopy(key, seen), deepCopy(item, seen));
    return copy as T;
  }
  const copy = Object.create(Object.getPrototypeOf(value));
  seen.set(value, copy);
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor && 'value' in descriptor) descriptor.value = deepCopy(descriptor.value, seen);
    if (descriptor) Object.defineProperty(copy, key, descriptor);
  }
  return copy;
}

interface Case {
  readonly id: string;
  readonly test: string;
  readonly renderable: () => unknown;
  readonly properties: () => Properties;
  readonly expected: unknown;
}

const wp = (format: string, ...args: unknown[]) =>
  new WithProperties(format, ...(args as [Record<string, (properties: Properties) => unknown>]));

const cases: Case[] = [
  {
    id: 'P01',
    test: 'testSimpleStr',
    renderable: () => wp('%(prop_str)s'),
    properties: propertyMap,
    expected: 'a-string',
  },
  { id: 'P02', test: 'testSimpleNone', renderable: () => wp('%(prop_none)s'), properties: propertyMap, expected: '' },
  {
    id: 'P03',
    test: 'testSimpleList',
    renderable: () => wp('%(prop_list)s'),
    properties: propertyMap,
    expected: "['a', 'b']",
  },
  { id: 'P04', test: 'testSimpleZero', renderable: () => wp('%(prop_zero)s'), properties: propertyMap, expected: '0' },
  {
    id: 'P05',
    test: 'testSimpleFalse',
    renderable: () => wp('%(prop_false)s'),
    properties: propertyMap,
    expected: 'False',
  },
  {
    id: 'P06',
    test: 'testSimpleTrue',
    renderable: () => wp('%(prop_true)s'),
    properties: propertyMap,
    expected: 'True',
  },
  // P07 (KeyError) is below.
  {
    id: 'P08',
    test: 'testColonMinusNone',
    renderable: () => wp('%(prop_none:-missing)s'),
    properties: propertyMap,
    expected: '',
  },
  {
    id: 'P09',
    test: 'testColonMinusZero',
    renderable: () => wp('%(prop_zero:-missing)s'),
    properties: propertyMap,
    expected: '0',
  },
  {
    id: 'P10',
    test: 'testColonMinusFalse',
    renderable: () => wp('%(prop_false:-missing)s'),
    properties: propertyMap,
    expected: 'False',
  },
  {
    id: 'P11',
    test: 'testColonMinusEmpty',
    renderable: () => wp('%(prop_empty:-missing)s'),
    properties: propertyMap,
    expected: '',
  },
  {
    id: 'P12',
    test: 'testColonMinusUnset',
    renderable: () => wp('%(prop_nosuch:-missing)s'),
    properties: propertyMap,
    expected: 'missing',
  },
  {
    id: 'P13',
    test: 'testColonTildeNone',
    renderable: () => wp('%(prop_none:~missing)s'),
    properties: propertyMap,
    expected: 'missing',
  },
  {
    id: 'P14',
    test: 'testColonTildeZero',
    renderable: () => wp('%(prop_zero:~missing)s'),
    properties: propertyMap,
    expected: 'missing',
  },
  {
    id: 'P15',
    test: 'testColonTildeOne',
    renderable: () => wp('%(prop_one:~missing)s'),
    properties: propertyMap,
    expected: '1',
  },
  {
    id: 'P16',
    test: 'testColonTildeFalse',
    renderable: () => wp('%(prop_false:~missing)s'),
    properties: propertyMap,
    expected: 'missing',
  },
  {
    id: 'P17',
    test: 'testColonTildeEmpty',
    renderable: () => wp('%(prop_empty:~missing)s'),
    properties: propertyMap,
    expected: 'missing',
  },
  {
    id: 'P18',
    test: 'testColonPlusNone',
    renderable: () => wp('%(prop_none:+present)s'),
    properties: propertyMap,
    expected: 'present',
  },
  {
    id: 'P19',
    test: 'testColonPlusFalse',
    renderable: () => wp('%(prop_false:+present)s'),
    properties: propertyMap,
    expected: 'present',
  },
  {
    id: 'P20',
    test: 'testColonPlusUnset',
    renderable: () => wp('%(prop_nosuch:+present)s'),
    properties: propertyMap,
    expected: '',
  },
  {
    id: 'P21',
    test: 'testTempValueOverrides',
    renderable: () => wp('%(prop_one)s', { prop_one: () => 2 }),
    properties: propertyMap,
    expected: '2',
  },
  {
    id: 'P22',
    test: 'testTempValueColonTildeTrueSet',
    renderable: () => wp('%(prop_false:~nontrue)s', { prop_false: () => 'temp' }),
    properties: propertyMap,
    expected: 'temp',
  },
  {
    id: 'P23',
    test: 'testTempValueColonTildeTrueFalse',
    renderable: () => wp('%(prop_true:~nontrue)s', { prop_true: () => false }),
    properties: propertyMap,
    expected: 'True',
  },
  {
    id: 'P24',
    test: 'testTempValuePlusUnsetSet',
    renderable: () => wp('%(prop_nosuch:+set)s', { prop_nosuch: () => 1 }),
    properties: propertyMap,
    expected: 'set',
  },
  {
    id: 'P25',
    test: 'test_twoString',
    renderable: () => new Interpolate('test %s, %s', 'one fish', 'two fish'),
    properties: () => propertiesWith(),
    expected: 'test one fish, two fish',
  },
  {
    id: 'P26',
    test: 'test_renderable',
    renderable: () => new Interpolate("echo '%s'", new Property('buildername')),
    properties: () => propertiesWith({ buildername: 'blue fish' }),
    expected: "echo 'blue fish'",
  },
  {
    id: 'P27',
    test: 'test_properties',
    renderable: () => new Interpolate('echo buildby-%(prop:buildername)s'),
    properties: () => propertiesWith({ buildername: 'winbld' }),
    expected: 'echo buildby-winbld',
  },
  {
    id: 'P28',
    test: 'test_properties_newline',
    renderable: () => new Interpolate('aa\n%(prop:buildername)s\nbb'),
    properties: () => propertiesWith({ buildername: 'winbld' }),
    expected: 'aa\nwinbld\nbb',
  },
  {
    id: 'P29',
    test: 'test_property_not_set',
    renderable: () => new Interpolate('echo buildby-%(prop:buildername)s'),
    properties: () => propertiesWith(),
    expected: 'echo buildby-',
  },
  {
    id: 'P30',
    test: 'test_property_colon_minus',
    renderable: () => new Interpolate('echo buildby-%(prop:buildername:-blddef)s'),
    properties: () => propertiesWith(),
    expected: 'echo buildby-blddef',
  },
  {
    id: 'P31',
    test: 'test_deepcopy',
    renderable: () => deepCopy(new Interpolate('echo buildby-%(prop:buildername:-blddef)s')),
    properties: () => propertiesWith({ buildername: 'linux4' }),
    expected: 'echo buildby-linux4',
  },
  {
    id: 'P32',
    test: 'test_property_colon_tilde_false',
    renderable: () => new Interpolate('echo buildby-%(prop:buildername:~blddef)s'),
    properties: () => propertiesWith({ buildername: '' }),
    expected: 'echo buildby-blddef',
  },
  {
    id: 'P33',
    test: 'test_property_colon_plus',
    renderable: () => new Interpolate('echo %(prop:project:+projectdefined)s'),
    properties: () => propertiesWith({ project: 'proj1' }),
    expected: 'echo projectdefined',
  },
  {
    id: 'P34',
    test: 'test_nested_property',
    renderable: () => new Interpolate("echo '%(prop:missing:~%(prop:project)s)s'"),
    properties: () => propertiesWith({ project: 'so long!' }),
    expected: "echo 'so long!'",
  },
  {
    id: 'P35',
    test: 'test_property_substitute_recursively',
    renderable: () => new Interpolate("echo '%(prop:no_such:-%(prop:project)s)s'"),
    properties: () => propertiesWith({ project: 'proj1' }),
    expected: "echo 'proj1'",
  },
  {
    id: 'P36',
    test: 'test_property_colon_ternary_present',
    renderable: () => new Interpolate('echo %(prop:project:?:defined:missing)s'),
    properties: () => propertiesWith({ project: 'proj1' }),
    expected: 'echo defined',
  },
  {
    id: 'P37',
    test: 'test_property_colon_ternary_missing',
    renderable: () => new Interpolate('echo %(prop:project:?|defined|missing)s'),
    properties: () => propertiesWith(),
    expected: 'echo missing',
  },
  {
    id: 'P38',
    test: 'test_property_colon_ternary_hash_true',
    renderable: () => new Interpolate('echo buildby-%(prop:project:#?:T:F)s'),
    properties: () => propertiesWith({ project: 'winbld' }),
    expected: 'echo buildby-T',
  },
  {
    id: 'P39',
    test: 'test_property_colon_ternary_hash_false',
    renderable: () => new Interpolate('echo buildby-%(prop:project:#?|T|F)s'),
    properties: () => propertiesWith({ project: '' }),
    expected: 'echo buildby-F',
  },
  {
    id: 'P40',
    test: 'test_property_colon_ternary_substitute_recursively_true',
    renderable: () => new Interpolate("echo '%(prop:P:?|%(prop:one)s|%(prop:two)s)s'"),
    properties: () => propertiesWith({ P: 'set', one: 'proj1', two: 'proj2' }),
    expected: "echo 'proj1'",
  },
  {
    id: 'P41',
    test: 'test_property_colon_ternary_substitute_recursively_false',
    renderable: () => new Interpolate("echo '%(prop:P:?|%(prop:one)s|%(prop:two)s)s'"),
    properties: () => propertiesWith({ one: 'proj1', two: 'proj2' }),
    expected: "echo 'proj2'",
  },
  {
    id: 'P42',
    test: 'test_property_colon_ternary_substitute_recursively_delimited_true',
    renderable: () => new Interpolate("echo '%(prop:P:?|%(prop:one:?|true|false)s|%(prop:two:?|false|true)s)s'"),
    properties: () => propertiesWith({ P: 'set', one: 'proj1', two: 'proj2' }),
    expected: "echo 'true'",
  },
  {
    id: 'P43',
    test: 'test_property_colon_ternary_substitute_recursively_delimited_false',
    renderable: () => new Interpolate("echo '%(prop:P:?|%(prop:one:?|true|false)s|%(prop:two:?|false|true)s)s'"),
    properties: () => propertiesWith({ one: 'proj1', two: 'proj2' }),
    expected: "echo 'false'",
  },
  {
    id: 'P44',
    test: 'test_src_src',
    renderable: () => new Interpolate('echo %(src:cbB:repository)s %(src:cbB:project)s'),
    properties: () => propertiesWith({}, { sourceStamps: SRC }),
    expected: 'echo cvs://B.. Project',
  },
  {
    id: 'P45',
    test: 'test_src_attr_empty',
    renderable: () => new Interpolate('echo %(src:cbC:project)s'),
    properties: () => propertiesWith({}, { sourceStamps: SRC }),
    expected: 'echo ',
  },
  {
    id: 'P46',
    test: 'test_src_attr_codebase_notfound',
    renderable: () => new Interpolate('echo %(src:unknown_codebase:project)s'),
    properties: () => propertiesWith({}, { sourceStamps: SRC }),
    expected: 'echo ',
  },
  {
    id: 'P47',
    test: 'test_src_colon_plus_false',
    renderable: () => new Interpolate("echo '%(src:cbD:project:+defaultrepo)s'"),
    properties: () => propertiesWith({}, { sourceStamps: SRC }),
    expected: "echo ''",
  },
  {
    id: 'P48',
    test: 'test_src_colon_plus_true',
    renderable: () => new Interpolate("echo '%(src:cbB:project:+defaultrepo)s'"),
    properties: () => propertiesWith({}, { sourceStamps: SRC }),
    expected: "echo 'defaultrepo'",
  },
  {
    id: 'P49',
    test: 'test_src_colon_minus',
    renderable: () => new Interpolate('echo %(src:cbB:nonattr:-defaultrepo)s'),
    properties: () => propertiesWith({}, { sourceStamps: SRC }),
    expected: 'echo defaultrepo',
  },
  {
    id: 'P50',
    test: 'test_src_colon_minus_false',
    renderable: () => new Interpolate("echo '%(src:cbC:project:-noproject)s'"),
    properties: () => propertiesWith({}, { sourceStamps: SRC }),
    expected: "echo ''",
  },
  {
    id: 'P51',
    test: 'test_src_colon_minus_codebase_notfound',
    renderable: () => new Interpolate("echo '%(src:unknown_codebase:project:-noproject)s'"),
    properties: () => propertiesWith({}, { sourceStamps: SRC }),
    expected: "echo 'noproject'",
  },
  {
    id: 'P52',
    test: 'test_src_colon_tilde_false',
    renderable: () => new Interpolate("echo '%(src:cbC:project:~noproject)s'"),
    properties: () => propertiesWith({}, { sourceStamps: SRC }),
    expected: "echo 'noproject'",
  },
  {
    id: 'P53',
    test: 'test_src_colon_tilde_false_src_as_replacement',
    renderable: () => new Interpolate("echo '%(src:cbC:project:~%(src:cbA:project)s)s'"),
    properties: () => propertiesWith({}, { sourceStamps: SRC }),
    expected: "echo 'Project'",
  },
  {
    id: 'P54',
    test: 'test_kwarg_kwarg',
    renderable: () =>
      new Interpolate('echo %(kw:repository)s %(kw:branch)s', { repository: 'cvs://A..', branch: 'default' }),
    properties: () => propertiesWith(),
    expected: 'echo cvs://A.. default',
  },
  {
    id: 'P55',
    test: 'test_kwarg_not_mapped',
    renderable: () => new Interpolate('echo %(kw:repository)s', { project: 'projectA' }),
    properties: () => propertiesWith(),
    expected: 'echo ',
  },
  {
    id: 'P56',
    test: 'test_kwarg_colon_minus_available',
    renderable: () => new Interpolate('echo %(kw:repository:-cvs://A..)s', { repository: 'cvs://B..' }),
    properties: () => propertiesWith(),
    expected: 'echo cvs://B..',
  },
  {
    id: 'P57',
    test: 'test_kwarg_colon_tilde_false',
    renderable: () => new Interpolate('echo %(kw:repository:~cvs://B..)s', { repository: '' }),
    properties: () => propertiesWith(),
    expected: 'echo cvs://B..',
  },
  {
    id: 'P58',
    test: 'test_kwarg_colon_tilde_none',
    renderable: () => new Interpolate('echo %(kw:repository:~cvs://B..)s', { repository: null }),
    properties: () => propertiesWith(),
    expected: 'echo cvs://B..',
  },
  {
    id: 'P59',
    test: 'test_kwarg_colon_plus_true',
    renderable: () => new Interpolate('echo %(kw:repository:+cvs://B..)s', { repository: null }),
    properties: () => propertiesWith(),
    expected: 'echo cvs://B..',
  },
  {
    id: 'P60',
    test: 'test_kwargs_colon_minus_false_src_as_replacement',
    renderable: () => new Interpolate("echo '%(kw:text:-%(src:cbA:branch)s)s'", { notext: 'ddd' }),
    properties: () => propertiesWith({}, { sourceStamps: KW_SRC }),
    expected: "echo 'default'",
  },
  {
    id: 'P61',
    test: 'test_nested_kwarg_deferred',
    renderable: () =>
      new Interpolate("echo '%(kw:missing:~%(kw:fishy)s)s'", { missing: later(false), fishy: 'so long!' }),
    properties: () => propertiesWith(),
    expected: "echo 'so long!'",
  },
  {
    id: 'P62',
    test: 'test_interpolate_worker',
    renderable: () => new Interpolate('%(worker:test)s'),
    properties: () => propertiesWith({}, { workerInfo: { test: 'testvalue' } }),
    expected: 'testvalue',
  },
  {
    id: 'P63',
    test: 'testMissingProperty',
    renderable: () => new Property('do-tests'),
    properties: () => propertiesWith(),
    expected: null,
  },
  ...(['', 0, [], null] as const).map(
    (value, index): Case => ({
      id: 'P64',
      test: `testIgnoreFalseValue (do-tests=${JSON.stringify(value)}, ${index + 1} of 4)`,
      renderable: () => new Property('do-tests', 'Hello!'),
      properties: () => propertiesWith({ 'do-tests': value }),
      expected: 'Hello!',
    }),
  ),
  ...(['', 0, [], null] as const).map(
    (value, index): Case => ({
      id: 'P65',
      test: `testDefaultWhenFalse (do-tests=${JSON.stringify(value)}, ${index + 1} of 4)`,
      renderable: () => new Property('do-tests', 'Hello!', false),
      properties: () => propertiesWith({ 'do-tests': value }),
      expected: value,
    }),
  ),
  {
    id: 'P66',
    test: 'testDefaultValueNested',
    renderable: () => new Property('do-tests', wp('a-%(xxx)s-b')),
    properties: () => propertiesWith({ xxx: 'yyy' }),
    expected: 'a-yyy-b',
  },
  {
    id: 'P67',
    test: 'testPropMult',
    renderable: () => new Property('do-tests').mul(new Interpolate('%(prop:do-tests)s')),
    properties: () => propertiesWith({ 'do-tests': 2 }),
    expected: '22',
  },
  {
    id: 'P68',
    test: 'testPropDiv',
    renderable: () => new Property('do-tests').div(new Property('do-tests2')),
    properties: () => propertiesWith({ 'do-tests': 1, 'do-tests2': 3 }),
    expected: 1 / 3,
  },
  {
    id: 'P69',
    test: 'testPropIn2',
    renderable: () => new Property('do-tests').in_([1, 3]),
    properties: () => propertiesWith({ 'do-tests': 2 }),
    expected: false,
  },
  {
    id: 'P70',
    test: 'testFlattenListAdd2',
    renderable: () => new FlattenList([new Property('do-tests'), ['bla']]).add([new Property('do-tests'), ['bla']]),
    properties: () => propertiesWith({ 'do-tests': 'string' }),
    expected: ['string', 'bla', 'string', 'bla'],
  },
  {
    id: 'P71',
    test: 'test_renderer_with_state_renders_args',
    renderable: () =>
      renderer(
        (properties, arg: string, { kwarg }: { kwarg: string }) => `x-${properties.getProperty('x')}-${arg}-${kwarg}`,
      )
        .withArgs(new Property('arg'))
        .withKwargs({ kwarg: new Property('kw') }),
    properties: () => propertiesWith({ x: 'X', arg: 'ARG', kw: 'KW' }),
    expected: 'x-X-ARG-KW',
  },
  {
    id: 'P72',
    test: 'test_renderer_recursive',
    renderable: () => renderer(() => new Interpolate('x%(prop:x)sx')),
    properties: () => propertiesWith({ x: 'X' }),
    expected: 'xXx',
  },
  {
    id: 'P73',
    test: 'test_kwargs (Transform)',
    renderable: () =>
      new Transform(({ x, y }: { x: string; y: string }) => `${x}|${y}`, { x: 'abc', y: new Property('propname') }),
    properties: () => propertiesWith({ propname: 'propvalue' }),
    expected: 'abc|propvalue',
  },
  {
    id: 'P74',
    test: 'testDictColonPlus',
    renderable: () => wp('build-%(prop1:+exists)s-%(prop2:+exists)s.tar.gz'),
    properties: () => propertiesWith({ prop1: 'foo' }),
    expected: 'build-exists-.tar.gz',
  },
  {
    id: 'P75',
    test: 'testColon_colon',
    renderable: () => wp('%(some:property:-with:default)s'),
    properties: () => propertiesWith(),
    expected: 'with:default',
  },
  {
    id: 'P76',
    test: 'testRecursiveDict',
    renderable: () => new Map([[wp('%(x)s %(y)s'), wp('%(y)s %(x)s')]]),
    properties: () => propertiesWith({ x: 10, y: 20 }),
    expected: new Map([['10 20', '20 10']]),
  },
];

describe('Buildbot renderable cases (reference §5.9)', () => {
  for (const item of cases) {
    it(`${item.id} ${item.test}`, async () => {
      expect(await render(item.renderable(), item.properties())).toEqual(item.expected);
    });
  }

  it("P07 testSimpleUnset: WithProperties('%(prop_nosuch)s') raises KeyError", async () => {
    const rendering = render(wp('%(prop_nosuch)s'), propertyMap());
    await expect(rendering).rejects.toBeInstanceOf(RenderError);
    await expect(rendering).rejects.toThrow("KeyError: 'prop_nosuch'");
  });

  it('covers every case id from P01 to P76', () => {
    const ids = new Set([...cases.map((item) => item.id), 'P07']);
    const expected = Array.from({ length: 76 }, (_, index) => `P${String(index + 1).padStart(2, '0')}`);
    expect([...ids].sort()).toEqual(expected);
  });
});
