import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface ServerFrame {
  /** The whole frame as received. */
  readonly frame: Buffer;
  readonly opcode: number;
  readonly payload: Buffer;
}

/**
 * A TCP peer that speaks WebSocket byte by byte, for replaying the recorded worker side of a
 * capture (its frames are already masked) and reading the listener's frames exactly as sent.
 */
export class RawWsPeer {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #ended = false;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.#ended = true;
        this.#wake?.();
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawWsPeer> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawWsPeer(socket);
  }

  write(bytes: Uint8Array | string): void {
    this.#socket.write(bytes);
  }

  /** Sends `payload` as one masked binary frame (what a WebSocket client must send). */
  sendFrame(payload: Uint8Array, opcode = 2): void {
    this.write(maskedFrame(payload, opcode));
  }

  destroy(): void {
    this.#socket.destroy();
  }

  /** Everything up to and including the blank line that ends the HTTP response head. */
  async readHttpHead(): Promise<string> {
    for (;;) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.#buffer.subarray(0, end + 4).toString('latin1');
        this.#buffer = this.#buffer.subarray(end + 4);
        return head;
      }
      await this.#more('an HTTP response');
    }
  }

  /** Every byte until the server closes the connection. */
  async readToEnd(): Promise<Buffer> {
    while (!this.#ended) await this.#more('the end of the connection', true);
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return rest;
  }

  async readFrame(): Promise<ServerFrame> {
    for (;;) {
      const parsed = parseFrame(this.#buffer);
      if (parsed) {
        this.#buffer = this.#buffer.subarray(parsed.frame.length);
        return parsed;
      }
      await this.#more('a WebSocket frame');
    }
  }

  #more(what: string, allowEnd = false): Promise<void> {
    if (this.#ended) {
      return allowEnd ? Promise.resolve() : Promise.reject(new Error(`connection closed while waiting for ${what}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}

function parseFrame(buffer: Buffer): ServerFrame | undefined {
  if (buffer.length < 2) return undefined;
  const first = buffer[0] as number;
  const second = buffer[1] as number;
  let length = second & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  const masked = (second & 0x80) !== 0;
  const maskOffset = offset;
  if (masked) offset += 4;
  if (buffer.length < offset + length) return undefined;
  const frame = Buffer.from(buffer.subarray(0, offset + length));
  const payload = Buffer.from(buffer.subarray(offset, offset + length));
  if (masked)
    for (let index = 0; index < payload.length; index++)
      payload[index] = (payload[index] as number) ^ (buffer[maskOffset + (index % 4)] as number);
  return { frame, opcode: first & 0x0f, payload };
}

export function maskedFrame(payload: Uint8Array, opcode = 2): Buffer {
  const mask = randomBytes(4);
  const header: number[] = [0x80 | opcode];
  if (payload.length < 126) header.push(0x80 | payload.length);
  else if (payload.length < 65_536) header.push(0x80 | 126, payload.length >> 8, payload.length & 0xff);
  else {
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(BigInt(payload.length));
    header.push(0x80 | 127, ...size);
  }
  const body = Buffer.from(payload);
  for (let index = 0; index < body.length; index++) body[index] = (body[index] as number) ^ (mask[index % 4] as number);
  return Buffer.concat([Buffer.from(header), mask, body]);
}
