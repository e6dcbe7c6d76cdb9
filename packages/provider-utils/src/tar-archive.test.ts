import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTarArchive } from './tar-archive.js';

function field(header: Buffer, start: number, length: number): string {
  return header
    .subarray(start, start + length)
    .toString('utf8')
    .replace(/\0.*$/s, '');
}

describe('createTarArchive', () => {
  it('writes ustar headers with valid checksums, padded content and two closing blocks', () => {
    const archive = createTarArchive([
      { name: 'Dockerfile', content: 'FROM scratch\n' },
      { name: 'bin', type: 'directory' },
      { name: 'bin/sh', type: 'symlink', linkTarget: 'busybox' },
    ]);
    expect(archive.length).toBe(512 * 2 + 512 + 512 + 1024);
    const first = archive.subarray(0, 512);
    expect(field(first, 0, 100)).toBe('Dockerfile');
    expect(Number.parseInt(field(first, 124, 12), 8)).toBe('FROM scratch\n'.length);
    expect(field(first, 257, 6)).toBe('ustar');
    const checksum = Number.parseInt(field(first, 148, 8), 8);
    const copy = Buffer.from(first);
    copy.fill(' ', 148, 156);
    expect(checksum).toBe(copy.reduce((sum, byte) => sum + byte, 0));
    expect(archive.subarray(512, 512 + 13).toString()).toBe('FROM scratch\n');
    const directory = archive.subarray(1024, 1536);
    expect(field(directory, 0, 100)).toBe('bin/');
    expect(field(directory, 156, 1)).toBe('5');
    const link = archive.subarray(1536, 2048);
    expect(field(link, 156, 1)).toBe('2');
    expect(field(link, 157, 100)).toBe('busybox');
    expect(archive.subarray(2048).every((byte) => byte === 0)).toBe(true);
  });

  it('puts long paths in the ustar prefix field', () => {
    const name = `${'directory/'.repeat(12)}file.txt`;
    const header = createTarArchive([{ name, content: 'x' }]).subarray(0, 512);
    expect(`${field(header, 345, 155)}/${field(header, 0, 100)}`).toBe(name);
  });

  it('writes an archive the system tar reads: root-owned files, directories, symlinks, long paths, modes, same bytes each time', () => {
    const directory = mkdtempSync(join(tmpdir(), 'latentci-tar-'));
    try {
      const long = `${'d'.repeat(80)}/${'e'.repeat(60)}/file.txt`;
      const archive = createTarArchive([
        { type: 'directory', name: 'bin' },
        { type: 'file', name: 'bin/tool', content: '#!/bin/sh\necho hi\n', mode: 0o755 },
        { type: 'symlink', name: 'bin/alias', linkTarget: 'tool' },
        { type: 'file', name: long, content: Buffer.alloc(1000, 7) },
      ]);
      expect(archive.length % 512).toBe(0);
      writeFileSync(join(directory, 'a.tar'), archive);
      const listing = execFileSync('tar', ['-tvf', join(directory, 'a.tar')], { encoding: 'utf8' });
      expect(listing).toMatch(/^-rwxr-xr-x root\/root\s+18 .* bin\/tool$/m);
      expect(listing).toMatch(/bin\/alias -> tool/);
      execFileSync('tar', ['-xf', join(directory, 'a.tar'), '-C', directory]);
      expect(readFileSync(join(directory, long))).toEqual(Buffer.alloc(1000, 7));
      expect(createTarArchive([{ name: 'x', content: 'same' }])).toEqual(
        createTarArchive([{ name: 'x', content: 'same' }]),
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
