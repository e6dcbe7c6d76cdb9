import { describe, expect, it } from 'vitest';
import { DockerLogDecoder, decodeDockerLog } from './docker-log-decoder.js';

function frame(stream: 1 | 2, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function decode(chunks: readonly Uint8Array[], tty?: boolean): string[] {
  const lines: string[] = [];
  const decoder = new DockerLogDecoder((line, stream) => lines.push(`${stream}:${line}`), { tty });
  for (const chunk of chunks) decoder.push(chunk);
  decoder.end();
  return lines;
}

/** Every cut of `bytes` into single-byte chunks. */
function bytewise(bytes: Buffer): Buffer[] {
  return [...bytes].map((byte) => Buffer.from([byte]));
}

describe('DockerLogDecoder', () => {
  it('splits frames into lines per stream, a partial line waiting for the rest', () => {
    const stream = Buffer.concat([frame(1, 'out 1\nout'), frame(2, 'err 1\r\n'), frame(1, ' 2\n'), frame(2, 'last')]);
    expect(decode([stream])).toEqual(['stdout:out 1', 'stderr:err 1', 'stdout:out 2', 'stderr:last']);
    expect(decode(bytewise(stream))).toEqual(['stdout:out 1', 'stderr:err 1', 'stdout:out 2', 'stderr:last']);
  });

  it('keeps a UTF-8 character whole when a frame boundary cuts it (regression: it became two U+FFFD)', () => {
    const text = Buffer.from('größe: 日本語 ✓\n');
    const cut = text.indexOf(Buffer.from('本')) + 1;
    const stream = Buffer.concat([frame(1, text.subarray(0, cut)), frame(1, text.subarray(cut))]);
    expect(decode([stream])).toEqual(['stdout:größe: 日本語 ✓']);
    expect(decode(bytewise(stream))).toEqual(['stdout:größe: 日本語 ✓']);
  });

  it("decodes a TTY container's plain output (no frames) as stdout lines (regression: read as frame headers)", () => {
    const output = Buffer.from('worker starting é\nconnected\n');
    expect(decode([output])).toEqual(['stdout:worker starting é', 'stdout:connected']);
    expect(decode(bytewise(output))).toEqual(['stdout:worker starting é', 'stdout:connected']);
    expect(decode(bytewise(output), true)).toEqual(['stdout:worker starting é', 'stdout:connected']);
  });

  it('with tty: true, bytes that look like a frame header are still text', () => {
    expect(decode([Buffer.from('\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0002hi\n')], true)).toEqual([
      'stdout:\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0002hi',
    ]);
  });

  it('reports the bytes of a truncated last frame instead of dropping them', () => {
    expect(decode([frame(2, 'complete\n'), frame(1, 'cut off here').subarray(0, 14)])).toEqual([
      'stderr:complete',
      'stdout:cut of',
    ]);
  });
});

describe('decodeDockerLog', () => {
  it('joins the lines of a finished log in arrival order, frames or TTY', () => {
    expect(decodeDockerLog(Buffer.concat([frame(1, 'out\n'), frame(2, 'err é\n'), frame(1, 'more\n')]))).toBe(
      'out\nerr é\nmore',
    );
    expect(decodeDockerLog(Buffer.from('plain output\n'))).toBe('plain output');
    expect(decodeDockerLog(Buffer.alloc(0))).toBe('');
  });
});
