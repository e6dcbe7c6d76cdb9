/** One line of container output and the stream it came from. */
export interface OutputLine {
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

/**
 * Splits the engine's multiplexed log format (8-byte frame headers: stream type, 3 zero bytes,
 * big-endian length) into text per stream. Output that is not multiplexed (a TTY container) is
 * returned as stdout.
 */
export function demultiplex(buffer: Buffer): { stream: 'stdout' | 'stderr'; text: string }[] {
  const frames: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    if (
      (type !== 1 && type !== 2) ||
      buffer[offset + 1] !== 0 ||
      buffer[offset + 2] !== 0 ||
      buffer[offset + 3] !== 0
    ) {
      return [{ stream: 'stdout', text: buffer.toString('utf8') }];
    }
    const length = buffer.readUInt32BE(offset + 4);
    const end = Math.min(buffer.length, offset + 8 + length);
    frames.push({ stream: type === 2 ? 'stderr' : 'stdout', text: buffer.subarray(offset + 8, end).toString('utf8') });
    offset = end;
  }
  if (offset < buffer.length && frames.length === 0) return [{ stream: 'stdout', text: buffer.toString('utf8') }];
  return frames;
}

/** The merged text of multiplexed output, in arrival order (Buildbot decodes logs as UTF-8 text). */
export function demultiplexToText(buffer: Buffer): string {
  return demultiplex(buffer)
    .map((frame) => frame.text)
    .join('');
}

/**
 * Accumulates chunks of text and emits complete lines (without `\n` or `\r\n`); `flush` emits the
 * unterminated rest.
 */
export class LineSplitter {
  #pending = '';

  constructor(private readonly emit: (line: string) => void) {}

  push(text: string): void {
    const parts = (this.#pending + text).split('\n');
    this.#pending = parts.pop() ?? '';
    for (const part of parts) this.emit(part.endsWith('\r') ? part.slice(0, -1) : part);
  }

  flush(): void {
    if (this.#pending.length > 0) this.emit(this.#pending);
    this.#pending = '';
  }
}
