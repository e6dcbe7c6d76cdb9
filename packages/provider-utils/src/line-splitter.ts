/**
 * Accumulates text and emits complete lines (without `\n` or `\r\n`); `flush` emits the
 * unterminated rest. Text only: decode bytes with a streaming decoder first ({@link DockerLogDecoder}
 * does), so a character split across two chunks is not broken.
 */
export class LineSplitter {
  #pending = '';
  readonly #emit: (line: string) => void;

  constructor(emit: (line: string) => void) {
    this.#emit = emit;
  }

  push(text: string): void {
    const parts = (this.#pending + text).split('\n');
    this.#pending = parts.pop() ?? '';
    for (const part of parts) this.#emit(part.endsWith('\r') ? part.slice(0, -1) : part);
  }

  flush(): void {
    if (this.#pending.length > 0) this.#emit(this.#pending.endsWith('\r') ? this.#pending.slice(0, -1) : this.#pending);
    this.#pending = '';
  }
}
