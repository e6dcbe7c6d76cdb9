import { describe, expect, it } from 'vitest';
import { UsageError } from './cli-errors.js';
import { parseArguments } from './parse-arguments.js';

describe('parseArguments', () => {
  it('parses try with its options', () => {
    expect(parseArguments(['try', 'w.json', '--timeout', '5', '--keep', '--master', '127.0.0.1:0', '--json'])).toEqual({
      command: 'try',
      config: 'w.json',
      timeoutSeconds: 5,
      keep: true,
      observe: undefined,
      master: '127.0.0.1:0',
      replace: false,
      run: undefined,
      json: true,
    });
  });

  it('parses --run, which needs a command and a login (not --observe)', () => {
    expect(parseArguments(['try', 'w.json', '--run', 'uname -a'])).toMatchObject({ command: 'try', run: 'uname -a' });
    expect(() => parseArguments(['try', 'w.json', '--run', ' '])).toThrow(UsageError);
    expect(() => parseArguments(['try', 'w.json', '--run', 'true', '--observe', '172.17.0.1:9989'])).toThrow(
      /--run needs a worker that logged in/,
    );
  });

  it('gives help for every command', () => {
    expect(parseArguments([])).toEqual({ command: 'help' });
    expect(parseArguments(['--help'])).toEqual({ command: 'help' });
    expect(parseArguments(['try', '--help'])).toEqual({ command: 'help', topic: 'try' });
    expect(parseArguments(['ls', '-h'])).toEqual({ command: 'help', topic: 'ls' });
    expect(parseArguments(['help', 'reap'])).toEqual({ command: 'help', topic: 'reap' });
  });

  it('parses pool with its options; the load is --load clients or --acquire-every, each holding leases --hold ms', () => {
    expect(
      parseArguments([
        'pool',
        'w.json',
        '--idle',
        '2',
        '--max',
        '5',
        '--duration',
        '15',
        '--load',
        '3',
        '--hold',
        '200',
      ]),
    ).toEqual({
      command: 'pool',
      config: 'w.json',
      idle: 2,
      max: 5,
      durationSeconds: 15,
      load: { kind: 'clients', clients: 3, holdMs: 200 },
      timeoutSeconds: undefined,
      master: undefined,
      json: false,
    });
    expect(parseArguments(['pool', 'w.json', '--acquire-every', '250', '--json'])).toMatchObject({
      idle: undefined,
      max: undefined,
      load: { kind: 'interval', everyMs: 250, holdMs: 1000 },
      json: true,
    });
    expect(parseArguments(['pool', '--help'])).toEqual({ command: 'help', topic: 'pool' });
    expect(parseArguments(['help', 'pool'])).toEqual({ command: 'help', topic: 'pool' });
  });

  it.each([
    [['pool'], /exactly one config file, got none/],
    [['pool', 'w.json', '--idle', '3', '--max', '2'], /--idle \(3\) cannot exceed --max \(2\)/],
    [['pool', 'w.json', '--idle', '1.5'], /--idle must be a whole number >= 0, got "1.5"/],
    [['pool', 'w.json', '--idle=-1'], /--idle must be a whole number >= 0, got "-1"/],
    [['pool', 'w.json', '--max', '0'], /--max must be a whole number >= 1, got "0"/],
    [['pool', 'w.json', '--max', 'many'], /--max must be a whole number >= 1, got "many"/],
    [['pool', 'w.json', '--duration', '0'], /--duration must be a positive number of seconds, got "0"/],
    [['pool', 'w.json', '--load', '0'], /--load must be a whole number >= 1/],
    [['pool', 'w.json', '--load', '1', '--acquire-every', '100'], /give one of them/],
    [['pool', 'w.json', '--hold', '100'], /give --load or --acquire-every too/],
    [['pool', 'w.json', '--acquire-every', 'often'], /--acquire-every must be a positive number of milliseconds/],
    [['pool', 'w.json', '--keep'], /--keep.*latentci pool --help/],
  ])('refuses pool %j with a usage error saying what to do', (argv, message) => {
    expect(() => parseArguments(argv)).toThrow(UsageError);
    expect(() => parseArguments(argv)).toThrow(message);
  });

  it('parses ls and reap from a config or from --provider and --master-id', () => {
    expect(parseArguments(['list', 'w.json'])).toMatchObject({ command: 'ls', config: 'w.json' });
    expect(
      parseArguments([
        'reap',
        '--provider',
        '@latentci/docker',
        '--master-id',
        'm1',
        '--settings',
        '{"a":1}',
        '--worker',
        'w',
      ]),
    ).toEqual({
      command: 'reap',
      config: undefined,
      provider: '@latentci/docker',
      settings: { a: 1 },
      masterId: 'm1',
      dryRun: false,
      workerName: 'w',
      json: false,
    });
  });

  it.each([
    [['frobnicate']],
    [['try']],
    [['try', 'a.json', 'b.json']],
    [['try', 'a.json', '--timeout', 'soon']],
    [['try', 'a.json', '--timeout', '0']],
    [['try', 'a.json', '--bogus']],
    [['try', 'a.json', '--observe', 'h:1', '--master', 'h:2']],
    [['ls']],
    [['ls', '--provider', '@latentci/docker']],
    [['reap', 'a.json', '--provider', 'x', '--master-id', 'm']],
    [['reap', '--provider', 'x', '--master-id', 'm', '--settings', '[1]']],
  ])('refuses %j with a usage error saying what to do', (argv) => {
    expect(() => parseArguments(argv)).toThrow(UsageError);
  });
});
