import { StringDecoder } from 'node:string_decoder';
import { LineSplitter } from './line-splitter.js';

/** Where a line of container output came from. */
export type OutputStream = 'stdout' | 'stderr';

export interface DockerLogDecoderOptions {
  /**
   * Whether the container has a TTY (`Tty: true`): its output is one plain stream, not frames.
   * Omitted: detected from the first bytes (a frame header is `[1|2, 0, 0, 0, …]`).
   */
  readonly tty?: boolean | undefined;
}

const HEADER = 8;

/**
 * Decodes a Docker/Hyper log or attach stream chunk by chunk into lines, per stream. Without a TTY
 * the stream is frames (an 8-byte header `[stream, 0, 0, 0, length (uint32 BE)]`, then the
 * payload); with a TTY it is the container's bytes as they are, reported as stdout. Bytes are
 * decoded as UTF-8 by a streaming decoder per stream, so a character split across chunks or
 * frames arrives whole; a partial line waits for the rest, `end()` emits it.
 */
export class DockerLogDecoder {
  #mode: 'detect' | 'frames' | 'raw';
  #pending: Buffer = Buffer.alloc(0);
  readonly #streams: Record<OutputStream, { decoder: StringDecoder; lines: LineSplitter }>;

  constructor(emit: (line: string, stream: OutputStream) => void, options: DockerLogDecoderOptions = {}) {
    this.#mode = options.tty === undefined ? 'detect' : options.tty ? 'raw' : 'frames';
    const stream = (name: OutputStream) => ({
      decoder: new StringDecoder('utf8'),
      lines: new LineSplitter((line) => emit(line, name)),
    });
    this.#streams = { stdout: stream('stdout'), stderr: stream('stderr') };
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#mode === 'raw') {
      this.#text('stdout', bytes);
      return;
    }
    this.#pending = this.#pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.#pending, bytes]);
    if (this.#mode === 'detect') {
      if (this.#pending.length < 4 && isFramePrefix(this.#pending)) return;
      this.#mode = isFramePrefix(this.#pending.subarray(0, 4)) ? 'frames' : 'raw';
      if (this.#mode === 'raw') {
        const text = this.#pending;
        this.#pending = Buffer.alloc(0);
        this.#text('stdout', text);
        return;
      }
    }
    while (this.#pending.length >= HEADER) {
      const length = this.#pending.readUInt32BE(4);
      if (this.#pending.length < HEADER + length) return;
      this.#text(this.#pending[0] === 2 ? 'stderr' : 'stdout', this.#pending.subarray(HEADER, HEADER + length));
      this.#pending = this.#pending.subarray(HEADER + length);
    }
  }

  /** The stream ended: emits what is left (a last line without a newline, a truncated frame's bytes). */
  end(): void {
    if (this.#pending.length > 0) {
      // Too short for a frame: either a truncated frame or a very short TTY output.
      const rest =
        this.#mode === 'frames' && this.#pending.length >= HEADER ? this.#pending.subarray(HEADER) : this.#pending;
      this.#text(this.#mode === 'frames' && this.#pending[0] === 2 ? 'stderr' : 'stdout', rest);
      this.#pending = Buffer.alloc(0);
    }
    for (const { decoder, lines } of Object.values(this.#streams)) {
      lines.push(decoder.end());
      lines.flush();
    }
  }

  #text(stream: OutputStream, bytes: Buffer): void {
    const target = this.#streams[stream];
    target.lines.push(target.decoder.write(bytes));
  }
}

/** Whether `bytes` can start a frame header: stream 0, 1 or 2, then zero bytes. */
function isFramePrefix(bytes: Buffer): boolean {
  if (bytes.length === 0) return true;
  if ((bytes[0] ?? 3) > 2) return false;
  for (let index = 1; index < Math.min(bytes.length, 4); index++) if (bytes[index] !== 0) return false;
  return true;
}

/**
 * The whole text of a finished log (`GET …/logs` without `follow`): frames or TTY output, lines
 * joined with `\n` in arrival order.
 */
export function decodeDockerLog(data: Uint8Array, options: DockerLogDecoderOptions = {}): string {
  const lines: string[] = [];
  const decoder = new DockerLogDecoder((line) => lines.push(line), options);
  decoder.push(data);
  decoder.end();
  return lines.join('\n');
}
