import { StringDecoder } from 'node:string_decoder';

export type OutputStreamName = 'stdout' | 'stderr';

/**
 * A streaming reader of a container's attached output: the engine's multiplexed format (8-byte
 * frame headers: stream type 0–2, three zero bytes, big-endian length), with frames split or
 * coalesced across chunks in any way. Text is decoded per stream with a streaming UTF-8 decoder, so
 * a character split across two frames or chunks is not mangled.
 *
 * Bytes that do not start a valid frame header are passed on as stdout text up to the next newline,
 * and framing is looked for again after it. That covers a TTY container (never framed) and Podman,
 * whose attach replays the output logged before the attach unframed, then frames what follows.
 */
export class OutputDemultiplexer {
  #buffer: Buffer = Buffer.alloc(0);
  #frameStream: OutputStreamName | undefined;
  #frameRemaining = 0;
  readonly #decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  constructor(private readonly emit: (stream: OutputStreamName, text: string) => void) {}

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      if (this.#frameStream !== undefined) {
        if (this.#buffer.length === 0) return;
        const take = Math.min(this.#frameRemaining, this.#buffer.length);
        this.#write(this.#frameStream, this.#buffer.subarray(0, take));
        this.#buffer = this.#buffer.subarray(take);
        this.#frameRemaining -= take;
        if (this.#frameRemaining === 0) this.#frameStream = undefined;
        continue;
      }
      if (this.#buffer.length === 0) return;
      const header = frameHeader(this.#buffer);
      if (header === 'incomplete') return;
      if (header !== undefined) {
        this.#buffer = this.#buffer.subarray(8);
        this.#frameStream = header.stream;
        this.#frameRemaining = header.length;
        if (header.length === 0) this.#frameStream = undefined;
        continue;
      }
      // Not framed: pass on up to and including the next newline (or everything, for now).
      const newline = this.#buffer.indexOf(0x0a);
      const end = newline === -1 ? this.#buffer.length : newline + 1;
      this.#write('stdout', this.#buffer.subarray(0, end));
      this.#buffer = this.#buffer.subarray(end);
      if (newline === -1) return;
    }
  }

  /** The stream ended: emits what is left (a partial header is unframed text). */
  end(): void {
    if (this.#buffer.length > 0) this.#write(this.#frameStream ?? 'stdout', this.#buffer);
    this.#buffer = Buffer.alloc(0);
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.#decoders[stream].end();
      if (rest.length > 0) this.emit(stream, rest);
    }
  }

  #write(stream: OutputStreamName, bytes: Buffer): void {
    const text = this.#decoders[stream].write(bytes);
    if (text.length > 0) this.emit(stream, text);
  }
}

function frameHeader(buffer: Buffer): { stream: OutputStreamName; length: number } | undefined | 'incomplete' {
  const type = buffer[0];
  if (type !== 0 && type !== 1 && type !== 2) return undefined;
  for (let index = 1; index < 4; index++) {
    if (index >= buffer.length) return 'incomplete';
    if (buffer[index] !== 0) return undefined;
  }
  if (buffer.length < 8) return 'incomplete';
  return { stream: type === 2 ? 'stderr' : 'stdout', length: buffer.readUInt32BE(4) };
}
