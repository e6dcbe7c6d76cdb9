import { describe, expect, it } from 'vitest';
import {
  type CommandPathContext,
  expandWorkerUser,
  joinWorkerPath,
  toMsgpackCommand,
  workerSystemOf,
} from './msgpack-paths.js';

const posix: CommandPathContext = { system: 'posix', builderDirectory: '/w/hello', environ: { HOME: '/home/bb' } };
const nt: CommandPathContext = {
  system: 'nt',
  builderDirectory: 'C:\\w\\hello',
  environ: { USERPROFILE: 'C:\\Users\\bb' },
};
const translate = (name: string, args: Record<string, unknown>, context = posix) => {
  const { commandName, args: out } = toMsgpackCommand(name, args, context);
  return { commandName, args: { ...out } };
};

describe('msgpack paths (PurePosixPath / PureWindowsPath joinpath, as Buildbot 3.7 master)', () => {
  it('joins POSIX paths: an absolute part restarts, empty and "." parts vanish, ".." stays', () => {
    expect(joinWorkerPath('posix', '/w', 'hello')).toBe('/w/hello');
    expect(joinWorkerPath('posix', '/w/hello', 'build')).toBe('/w/hello/build');
    expect(joinWorkerPath('posix', '/w/hello', '')).toBe('/w/hello');
    expect(joinWorkerPath('posix', '/w/hello', '.', 'a//b/./c/')).toBe('/w/hello/a/b/c');
    expect(joinWorkerPath('posix', '/w/hello', '/abs/x')).toBe('/abs/x');
    expect(joinWorkerPath('posix', '/w/hello', '../up')).toBe('/w/hello/../up');
  });

  it('joins Windows paths with backslashes, honouring drives and rooted parts', () => {
    expect(joinWorkerPath('nt', 'C:\\w', 'hello')).toBe('C:\\w\\hello');
    expect(joinWorkerPath('nt', 'C:\\w', 'a/b')).toBe('C:\\w\\a\\b');
    expect(joinWorkerPath('nt', 'C:\\w', '\\root')).toBe('C:\\root');
    expect(joinWorkerPath('nt', 'C:\\w', 'D:\\other')).toBe('D:\\other');
  });

  it('picks posix for anything but "nt", as Buildbot does', () => {
    expect(workerSystemOf('nt')).toBe('nt');
    expect(workerSystemOf('posix')).toBe('posix');
    expect(workerSystemOf('java')).toBe('posix');
    expect(workerSystemOf(undefined)).toBe('posix');
  });

  it('expands ~ from the environment the worker reported', () => {
    expect(expandWorkerUser('posix', '~/x', { HOME: '/home/bb' })).toBe('/home/bb/x');
    expect(expandWorkerUser('posix', '~', { HOME: '/home/bb' })).toBe('/home/bb');
    expect(expandWorkerUser('posix', '~other/x', { HOME: '/home/bb' })).toBe('~other/x');
    expect(expandWorkerUser('posix', '~/x', {})).toBe('~/x');
    expect(expandWorkerUser('nt', '~\\x', { USERPROFILE: 'C:\\Users\\bb' })).toBe('C:\\Users\\bb\\x');
  });
});

describe('msgpack command translation', () => {
  it('makes shell workdir absolute and want_stdout/want_stderr booleans', () => {
    expect(translate('shell', { workdir: 'build', command: ['true'], want_stdout: 1, want_stderr: 0 })).toEqual({
      commandName: 'shell',
      args: { workdir: '/w/hello/build', command: ['true'], want_stdout: true, want_stderr: false },
    });
  });

  it('turns dir into absolute paths for mkdir and rmdir (string or list)', () => {
    expect(translate('mkdir', { dir: 'build' }).args).toEqual({ paths: ['/w/hello/build'] });
    expect(translate('rmdir', { dir: ['a', 'b'], timeout: 120 }).args).toEqual({
      timeout: 120,
      paths: ['/w/hello/a', '/w/hello/b'],
    });
  });

  it('maps cpdir, stat, glob, listdir and rmfile to their msgpack arguments', () => {
    expect(translate('cpdir', { fromdir: 'a', todir: 'b' }).args).toEqual({
      from_path: '/w/hello/a',
      to_path: '/w/hello/b',
    });
    expect(translate('stat', { file: 'f', workdir: 'build' }).args).toEqual({
      workdir: 'build',
      path: '/w/hello/build/f',
    });
    expect(translate('stat', { file: 'f' }).args).toEqual({ path: '/w/hello/f' });
    expect(translate('glob', { path: 'build/*.o' }).args).toEqual({ path: '/w/hello/build/*.o' });
    expect(translate('listdir', { dir: 'build' }).args).toEqual({ path: '/w/hello/build' });
    expect(translate('rmfile', { path: '~/junk' }).args).toEqual({ path: '/home/bb/junk' });
  });

  it('renames the transfer commands, adds the keys the 3.7 worker reads unconditionally and drops writer/reader', () => {
    expect(
      translate('uploadFile', {
        workdir: 'build',
        workersrc: 'out.bin',
        writer: {},
        blocksize: 16384,
        keepstamp: true,
      }),
    ).toEqual({
      commandName: 'upload_file',
      args: {
        workdir: 'build',
        workersrc: 'out.bin',
        blocksize: 16384,
        keepstamp: true,
        path: '/w/hello/build/out.bin',
        maxsize: null,
      },
    });
    expect(
      translate('uploadDirectory', { workdir: 'build', workersrc: 'dist', compress: 'gz', maxsize: 10 }).commandName,
    ).toBe('upload_directory');
    expect(translate('downloadFile', { workdir: 'build', workerdest: 'in.bin', reader: {}, blocksize: 16384 })).toEqual(
      {
        commandName: 'download_file',
        args: {
          workdir: 'build',
          workerdest: 'in.bin',
          blocksize: 16384,
          path: '/w/hello/build/in.bin',
          maxsize: null,
          mode: null,
        },
      },
    );
    expect(translate('downloadFile', { workdir: 'b', workerdest: 'x', blocksize: 1 }, nt).args.path).toBe(
      'C:\\w\\hello\\b\\x',
    );
  });

  it('passes unknown commands through and refuses missing path arguments', () => {
    expect(translate('custom', { a: 1 })).toEqual({ commandName: 'custom', args: { a: 1 } });
    expect(() => translate('listdir', {})).toThrow(/needs a string "dir" argument/);
    expect(() => translate('mkdir', { dir: [1] })).toThrow(/"dir" argument/);
  });
});
