/** One entry of a tar archive written by {@link createTarArchive}. */
export interface TarEntry {
  /** Path inside the archive, `/`-separated, without a leading `/`. */
  readonly name: string;
  /** File content; omit for directories and symbolic links. */
  readonly content?: string | Uint8Array;
  /** `file` (default), `directory` or `symlink`. */
  readonly type?: 'file' | 'directory' | 'symlink';
  /** Target of a symbolic link. */
  readonly linkTarget?: string;
  /** Permission bits; default 0o644 for files, 0o755 for directories, 0o777 for links. */
  readonly mode?: number;
}

const BLOCK = 512;

function writeString(header: Buffer, text: string, offset: number, length: number): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > length) throw new RangeError(`tar field "${text}" is longer than ${length} bytes`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  writeString(header, value.toString(8).padStart(length - 1, '0'), offset, length - 1);
}

function splitName(name: string): { prefix: string; name: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  const slash = name.lastIndexOf('/', name.length - 1);
  const prefix = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  if (slash < 0 || Buffer.byteLength(prefix) > 155 || Buffer.byteLength(rest) > 100) {
    throw new RangeError(`tar entry name is too long: ${name}`);
  }
  return { prefix, name: rest };
}

/**
 * Writes an uncompressed POSIX ustar archive in memory: enough for Docker build contexts and
 * `docker import` root filesystems, without a tar dependency. Entries are owned by root with
 * modification time 0, so the same entries always give the same bytes (the same image layer).
 */
export function createTarArchive(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const content =
      type === 'file'
        ? typeof entry.content === 'string'
          ? Buffer.from(entry.content, 'utf8')
          : Buffer.from(entry.content ?? new Uint8Array())
        : Buffer.alloc(0);
    const header = Buffer.alloc(BLOCK);
    const path = type === 'directory' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
    const { prefix, name } = splitName(path);
    writeString(header, name, 0, 100);
    writeOctal(header, entry.mode ?? (type === 'file' ? 0o644 : type === 'directory' ? 0o755 : 0o777), 100, 8);
    writeOctal(header, 0, 108, 8);
    writeOctal(header, 0, 116, 8);
    writeOctal(header, content.length, 124, 12);
    writeOctal(header, 0, 136, 12);
    header.fill(' ', 148, 156);
    writeString(header, type === 'file' ? '0' : type === 'directory' ? '5' : '2', 156, 1);
    if (type === 'symlink') writeString(header, entry.linkTarget ?? '', 157, 100);
    writeString(header, 'ustar', 257, 6);
    writeString(header, '00', 263, 2);
    writeString(header, 'root', 265, 32);
    writeString(header, 'root', 297, 32);
    writeString(header, prefix, 345, 155);
    let checksum = 0;
    for (const byte of header) checksum += byte;
    writeString(header, `${checksum.toString(8).padStart(6, '0')}\0 `, 148, 8);
    blocks.push(header, content);
    const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
    if (padding > 0) blocks.push(Buffer.alloc(padding));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}
