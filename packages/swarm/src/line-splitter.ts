// A minimal copy of the docker provider's line splitting (to move to the shared provider-utils place).

/** Accumulates text chunks and emits complete lines (without `\n`/`\r\n`); `flush` emits the rest. */
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

/** The text of multiplexed engine output (8-byte frame headers), frames in arrival order. */
export function demultiplexToText(buffer: Buffer): string {
  let text = '';
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    if ((type !== 1 && type !== 2) || buffer.readUIntBE(offset + 1, 3) !== 0) return buffer.toString('utf8');
    const end = Math.min(buffer.length, offset + 8 + buffer.readUInt32BE(offset + 4));
    text += buffer.subarray(offset + 8, end).toString('utf8');
    offset = end;
  }
  return text;
}
