/** One entry of an in-memory tar archive. */
export type TarEntry =
  | { readonly type: 'file'; readonly path: string; readonly content: Uint8Array | string; readonly mode?: number }
  | { readonly type: 'directory'; readonly path: string; readonly mode?: number }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string };

const BLOCK = 512;

/**
 * Writes a POSIX ustar archive in memory. Enough for a tiny root filesystem: regular files,
 * directories and symlinks, owned by root, with a fixed modification time so that the same input
 * always gives the same bytes (and the same image layer).
 */
export function createTar(entries: readonly TarEntry[], modificationTime = 0): Buffer {
  const chunks: Buffer[] = [];
  for (const entry of entries) {
    const content =
      entry.type === 'file'
        ? typeof entry.content === 'string'
          ? Buffer.from(entry.content, 'utf8')
          : Buffer.from(entry.content)
        : Buffer.alloc(0);
    const defaultMode = entry.type === 'directory' ? 0o755 : entry.type === 'symlink' ? 0o777 : 0o644;
    const mode = entry.type === 'symlink' ? defaultMode : (entry.mode ?? defaultMode);
    const path = entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
    chunks.push(
      header({
        path,
        mode,
        size: content.length,
        modificationTime,
        typeFlag: entry.type === 'file' ? '0' : entry.type === 'directory' ? '5' : '2',
        linkName: entry.type === 'symlink' ? entry.target : '',
      }),
    );
    if (content.length > 0) {
      chunks.push(content);
      const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
      if (padding > 0) chunks.push(Buffer.alloc(padding));
    }
  }
  chunks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(chunks);
}

interface HeaderFields {
  path: string;
  mode: number;
  size: number;
  modificationTime: number;
  typeFlag: string;
  linkName: string;
}

function header(fields: HeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK);
  const { name, prefix } = splitPath(fields.path);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, fields.mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, fields.modificationTime);
  block.fill(0x20, 148, 156);
  writeString(block, 156, 1, fields.typeFlag);
  writeString(block, 157, 100, fields.linkName);
  writeString(block, 257, 6, 'ustar');
  writeString(block, 263, 2, '00');
  writeString(block, 265, 32, 'root');
  writeString(block, 297, 32, 'root');
  writeString(block, 345, 155, prefix);
  let checksum = 0;
  for (const byte of block) checksum += byte;
  writeString(block, 148, 8, `${checksum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  const cut = path.lastIndexOf('/', path.length - 2);
  const prefix = path.slice(0, cut);
  const name = path.slice(cut + 1);
  if (cut <= 0 || Buffer.byteLength(prefix) > 155 || Buffer.byteLength(name) > 100) {
    throw new RangeError(`tar path too long for ustar: ${path}`);
  }
  return { name, prefix };
}

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new RangeError(`tar header field too long: ${value}`);
  bytes.copy(block, offset);
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  writeString(block, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}
