/**
 * Turns a Docker raw log stream, chunk by chunk, into lines. Without a TTY the stream is frames (an
 * 8-byte header `[stream, 0, 0, 0, length (uint32 BE)]`, then the payload); lines are split per
 * stream, a partial line waits for the rest.
 */
export class LogLineDecoder {
  #pending: Buffer = Buffer.alloc(0);
  readonly #partial = { stdout: '', stderr: '' };
  readonly #emit: (line: string, stream: 'stdout' | 'stderr') => void;

  constructor(emit: (line: string, stream: 'stdout' | 'stderr') => void) {
    this.#emit = emit;
  }

  push(chunk: Uint8Array): void {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    while (this.#pending.length >= 8) {
      const length = this.#pending.readUInt32BE(4);
      if (this.#pending.length < 8 + length) return;
      const stream = this.#pending[0] === 2 ? 'stderr' : 'stdout';
      this.#text(this.#pending.subarray(8, 8 + length).toString('utf8'), stream);
      this.#pending = this.#pending.subarray(8 + length);
    }
  }

  /** Emits what is left (a last line without a newline). */
  end(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.#partial[stream].length > 0) this.#emit(this.#partial[stream], stream);
      this.#partial[stream] = '';
    }
  }

  #text(text: string, stream: 'stdout' | 'stderr'): void {
    const lines = (this.#partial[stream] + text).split('\n');
    this.#partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.#emit(line.replace(/\r$/, ''), stream);
  }
}
