import { describe, expect, it } from 'vitest';
import { ConfigurationError, RenderError } from '../errors.js';
import { Redactor } from '../secrets/redactor.js';
import { Interpolate, Property, type Renderable, render, type SecretsProvider } from './index.js';
import { propertiesWith } from './properties.test-support.js';

function configurationError(make: () => unknown): ConfigurationError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

const later = <T>(value: T, ms = 1): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));

describe('P77 Interpolate configuration errors (reference §5.4 table, TestInterpolateConfigure)', () => {
  const rows: [string, () => unknown, string][] = [
    [
      'test_invalid_params',
      () => new Interpolate('%s %(foo)s', 1, { foo: 2 }),
      'Interpolate takes either positional or keyword substitutions, not both.',
    ],
    ['test_invalid_selector', () => new Interpolate('%(garbage:test)s'), "invalid Interpolate selector 'garbage'"],
    [
      'test_no_selector',
      () => new Interpolate('%(garbage)s'),
      "invalid Interpolate substitution without selector 'garbage'",
    ],
    [
      'test_invalid_default_type',
      () => new Interpolate('%(prop:some_prop:@wacky)s'),
      "invalid Interpolate default type '@'",
    ],
    [
      'test_nested_invalid_selector',
      () => new Interpolate('%(prop:some_prop:~%(garbage:test)s)s'),
      "invalid Interpolate selector 'garbage'",
    ],
    [
      'test_colon_ternary_missing_delimeter',
      () => new Interpolate('echo buildby-%(prop:P:?:one)s'),
      "invalid Interpolate ternary expression 'one' with delimiter ':'",
    ],
    [
      'test_colon_ternary_bad_delimeter',
      () => new Interpolate('echo buildby-%(prop:P:?:one(:))s'),
      "invalid Interpolate ternary expression 'one(:)' with delimiter ':'",
    ],
    [
      'test_colon_ternary_hash_bad_delimeter',
      () => new Interpolate('echo buildby-%(prop:P:#?|one)s'),
      "invalid Interpolate ternary expression 'one' with delimiter '|'",
    ],
    [
      'ternary delimiter ( [code]',
      () => new Interpolate('%(prop:x:?(a)(b))s'),
      "invalid Interpolate ternary delimiter '('",
    ],
    [
      'test_prop_invalid_character',
      () => new Interpolate('%(prop:a+a)s'),
      "Property name must be alphanumeric for prop Interpolation 'a+a'",
    ],
    [
      'test_kw_invalid_character',
      () => new Interpolate('%(kw:a+a)s'),
      "Keyword must be alphanumeric for kw Interpolation 'a+a'",
    ],
    [
      'test_src_codebase_invalid_character',
      () => new Interpolate('%(src:a+a:a)s'),
      "Codebase must be alphanumeric for src Interpolation 'a+a:a'",
    ],
    [
      'test_src_attr_invalid_character',
      () => new Interpolate('%(src:a:a+a)s'),
      "Attribute must be alphanumeric for src Interpolation 'a:a+a'",
    ],
    [
      'test_src_missing_attr',
      () => new Interpolate('%(src:a)s'),
      "Must specify both codebase and attribute for src Interpolation 'a'",
    ],
  ];
  for (const [name, make, message] of rows) {
    it(`P77 ${name}: ${message}`, () => {
      expect(configurationError(make).message).toBe(message);
    });
  }
});

describe('Interpolate: Python format errors surface at construction (reference §5.4, derived)', () => {
  const rows: [string, string][] = [
    ['%(prop:x)d', 'TypeError: %d format: a real number is required, not str'],
    ['%(prop:x)', 'ValueError: incomplete format'],
    ['%(prop:x:-(a)s', 'ValueError: incomplete format key'],
    ['%(prop:x:-a)b)s', "ValueError: unsupported format character 'b' (0x62) at index 12"],
    ['%(prop:x)s %s', 'TypeError: not enough arguments for format string'],
    ['%(prop:x)c', 'TypeError: %c requires int or char'],
  ];
  for (const [format, message] of rows) {
    it(`${format} → ${message}`, () => {
      expect(configurationError(() => new Interpolate(format)).message).toBe(
        `invalid Interpolate format '${format}': ${message}`,
      );
    });
  }

  it('reports the first error in format order, nested formats included, like Buildbot', () => {
    expect(configurationError(() => new Interpolate('%(garbage:x)d')).message).toMatch(/%d format/);
    expect(configurationError(() => new Interpolate('%(prop:x:?|%(bad:y)s|%(worse:z)s)s')).message).toBe(
      "invalid Interpolate selector 'bad'",
    );
  });

  it('rejects a format that is not a string', () => {
    expect(configurationError(() => new Interpolate(42 as unknown as string)).message).toMatch(/must be a string/);
  });
});

describe('Interpolate quirk decisions (reference §9.4)', () => {
  it('empty operator after ":" is a configuration error (Buildbot: IndexError)', () => {
    expect(configurationError(() => new Interpolate('%(prop:x:)s')).message).toMatch(
      /invalid Interpolate default type ''/,
    );
    expect(configurationError(() => new Interpolate('%(prop:x:?)s')).message).toMatch(/ternary expression ''/);
    expect(configurationError(() => new Interpolate('%(prop:x:#?)s')).message).toMatch(/ternary expression ''/);
  });

  it('?|ab (two characters, no second delimiter) is a configuration error (Buildbot: true a, false b)', () => {
    expect(configurationError(() => new Interpolate('%(prop:x:?|ab)s')).message).toBe(
      "invalid Interpolate ternary expression 'ab' with delimiter '|'",
    );
    expect(configurationError(() => new Interpolate('%(prop:x:?|a)s')).message).toBe(
      "invalid Interpolate ternary expression 'a' with delimiter '|'",
    );
    expect(configurationError(() => new Interpolate('%(prop:x:?|)s')).message).toBe(
      "invalid Interpolate ternary expression '' with delimiter '|'",
    );
  });

  it("%s without positional values is a configuration error (Buildbot renders the mapping: '{}')", () => {
    expect(configurationError(() => new Interpolate('%s')).message).toMatch(/positional substitution/);
    expect(configurationError(() => new Interpolate('%s %(prop:x)s')).message).toMatch(/positional substitution/);
  });

  it('?|a|b|c splits at the first delimiter only: the false part is b|c', async () => {
    expect(await render(new Interpolate('%(prop:x:?|a|b|c)s'), propertiesWith())).toBe('b|c');
    expect(await render(new Interpolate('%(prop:x:?|a|b|c)s'), propertiesWith({ x: 1 }))).toBe('a');
  });

  it('?|(a|b)|c ignores delimiters inside parentheses', async () => {
    expect(await render(new Interpolate('%(prop:x:?|(a|b)|c)s'), propertiesWith({ x: 1 }))).toBe('(a|b)');
  });

  it('%% is a literal % and %%(prop:x)s performs no lookup', async () => {
    expect(await render(new Interpolate('100%% %(prop:x)s'), propertiesWith({ x: 'y' }))).toBe('100% y');
    expect(await render(new Interpolate('%%(prop:x)s'), propertiesWith({ x: 'y' }))).toBe('%(prop:x)s');
    expect(await render(new Interpolate('%d%%', 5), propertiesWith())).toBe('5%');
  });

  it('looks the same key up once', async () => {
    let calls = 0;
    const counted: Renderable<string> = {
      getRenderingFor: () => {
        calls += 1;
        return 'v';
      },
    };
    expect(await render(new Interpolate('%(kw:a)s and %(kw:a)s', { a: counted }), propertiesWith())).toBe('v and v');
    expect(calls).toBe(1);
  });

  it("%(prop:)s looks up the property named ''", async () => {
    expect(await render(new Interpolate('[%(prop:)s]'), propertiesWith({ '': 'empty-name' }))).toBe('[empty-name]');
  });

  it('operator text keeps further colons: %(prop:x:-a:b)s defaults to a:b', async () => {
    expect(await render(new Interpolate('%(prop:x:-a:b)s'), propertiesWith())).toBe('a:b');
  });

  it('names may end with a newline, as Python’s $ allows', async () => {
    expect(await render(new Interpolate('%(prop:a\n)s'), propertiesWith({ 'a\n': 'nl' }))).toBe('nl');
  });
});

describe('P78 positional values may be promises and renderables (TestInterpolatePositional)', () => {
  it('test_deferred: a promise is awaited before formatting', async () => {
    expect(await render(new Interpolate('echo %s', later('deferred')), propertiesWith())).toBe('echo deferred');
  });

  it('test_renderable: a renderable is rendered before formatting', async () => {
    expect(await render(new Interpolate('echo %s %d', new Property('a'), later(3)), propertiesWith({ a: 'x' }))).toBe(
      'echo x 3',
    );
  });

  it('formats with Python % semantics: %d, %05.1f, %r, %x', async () => {
    expect(await render(new Interpolate('%d|%05.1f|%r|%#x', 42, 3.25, "it's", 255), propertiesWith())).toBe(
      `42|003.2|"it's"|0xff`,
    );
  });

  it('a wrong argument count or a mapping key is a configuration error', () => {
    expect(configurationError(() => new Interpolate('%s %s', 'one')).message).toBe(
      "invalid Interpolate format '%s %s': TypeError: not enough arguments for format string",
    );
    expect(configurationError(() => new Interpolate('%s', 'one', 'two')).message).toMatch(
      /not all arguments converted during string formatting/,
    );
    expect(configurationError(() => new Interpolate('%(x)s', 'one')).message).toMatch(/format requires a mapping/);
  });

  it('a value of the wrong type is a RenderError with Python’s message', async () => {
    const rendering = render(new Interpolate('%d', new Property('x')), propertiesWith({ x: 'abc' }));
    await expect(rendering).rejects.toBeInstanceOf(RenderError);
    await expect(rendering).rejects.toThrow('TypeError: %d format: a real number is required, not str');
  });
});

describe('Interpolate prints values with Python str()', () => {
  const cases: [unknown, string][] = [
    [true, 'True'],
    [false, 'False'],
    [null, ''],
    [3, '3'],
    [2.5, '2.5'],
    [1e16, '1e+16'],
    [['a', 1, null, true], "['a', 1, None, True]"],
    [{ k: 1, n: [2.5] }, "{'k': 1, 'n': [2.5]}"],
    ["it's", "it's"],
  ];
  for (const [value, expected] of cases) {
    it(`${JSON.stringify(value)} → ${expected}`, async () => {
      expect(await render(new Interpolate('%(prop:v)s'), propertiesWith({ v: value }))).toBe(expected);
    });
  }

  it('%r uses repr()', async () => {
    expect(await render(new Interpolate('%(prop:v)r'), propertiesWith({ v: ['a"b', "c'd"] }))).toBe(`['a"b', "c'd"]`);
  });

  it('renders a property whose value is itself a renderable', async () => {
    const properties = propertiesWith({ inner: 'deep' });
    properties.setProperty('outer', new Interpolate('<%(prop:inner)s>'), 'test');
    expect(await render(new Interpolate('%(prop:outer)s'), properties)).toBe('<deep>');
  });
});

describe('Interpolate secrets (%(secret:…)s)', () => {
  const secrets: SecretsProvider = {
    get: async (name) => ({ token: 's3cr3t-token', blank: '   ' })[name],
  };

  it('renders the secret and records it for cleanup and for the redactor', async () => {
    const redactor = new Redactor();
    const properties = propertiesWith({}, { secrets, redactor });
    expect(await render(new Interpolate('curl -H %(secret:token)s'), properties)).toBe('curl -H s3cr3t-token');
    expect(properties.cleanupTextFromSecrets('sent s3cr3t-token twice: s3cr3t-token')).toBe(
      'sent <token> twice: <token>',
    );
    expect(redactor.redact('log s3cr3t-token')).toBe('log <redacted>');
  });

  it('an unknown secret is a RenderError with Buildbot’s message', async () => {
    await expect(render(new Interpolate('%(secret:nope)s'), propertiesWith({}, { secrets }))).rejects.toThrow(
      'secret key nope is not found in any provider',
    );
  });

  it('without a secrets provider rendering a secret is a RenderError', async () => {
    const rendering = render(new Interpolate('%(secret:token)s'), propertiesWith());
    await expect(rendering).rejects.toBeInstanceOf(RenderError);
    await expect(rendering).rejects.toThrow(/secrets service not started/);
  });

  it('every secret "exists": :- never uses the default, :? picks the true branch without fetching', async () => {
    expect(await render(new Interpolate('%(secret:token:-default)s'), propertiesWith({}, { secrets }))).toBe(
      's3cr3t-token',
    );
    expect(await render(new Interpolate('%(secret:nope:?|yes|no)s'), propertiesWith())).toBe('yes');
  });

  it('blank secret values are not recorded for cleanup', async () => {
    const properties = propertiesWith({}, { secrets });
    expect(await render(new Interpolate('[%(secret:blank)s]'), properties)).toBe('[   ]');
    expect(properties.cleanupTextFromSecrets('a   b')).toBe('a   b');
  });
});

describe('Interpolate repr', () => {
  it('matches Buildbot’s repr', () => {
    expect(String(new Interpolate('echo %(prop:x)s'))).toBe("Interpolate('echo %(prop:x)s')");
    expect(String(new Interpolate('%s', 'a'))).toBe("Interpolate('%s', *('a',))");
    expect(String(new Interpolate('%(kw:a)s', { a: 1 }))).toBe("Interpolate('%(kw:a)s', **{'a': 1})");
  });
});
