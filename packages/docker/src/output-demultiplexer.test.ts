import { describe, expect, it } from 'vitest';
import { OutputDemultiplexer, type OutputStreamName } from './output-demultiplexer.js';

function frame(stream: 1 | 2, content: Buffer | string): Buffer {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(bytes.length, 4);
  return Buffer.concat([header, bytes]);
}

function decode(chunks: Buffer[]): { stream: OutputStreamName; text: string }[] {
  const out: { stream: OutputStreamName; text: string }[] = [];
  const demultiplexer = new OutputDemultiplexer((stream, text) => {
    const last = out.at(-1);
    if (last?.stream === stream) last.text += text;
    else out.push({ stream, text });
  });
  for (const chunk of chunks) demultiplexer.push(chunk);
  demultiplexer.end();
  return out;
}

/** Every split of `bytes` into two chunks, and one byte at a time. */
function splits(bytes: Buffer): Buffer[][] {
  const result: Buffer[][] = [[...bytes].map((byte) => Buffer.from([byte]))];
  for (let at = 0; at <= bytes.length; at++) result.push([bytes.subarray(0, at), bytes.subarray(at)]);
  return result;
}

describe('OutputDemultiplexer', () => {
  it('reads frames coalesced in one chunk or split at any byte, in order, per stream', () => {
    const bytes = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
    for (const chunks of splits(bytes)) {
      expect(decode(chunks)).toEqual([
        { stream: 'stdout', text: 'out 1\n' },
        { stream: 'stderr', text: 'err 1\n' },
        { stream: 'stdout', text: 'out 2\n' },
      ]);
    }
  });

  it('keeps a UTF-8 character split across two frames whole', () => {
    const euro = Buffer.from('€ ok\n', 'utf8');
    const bytes = Buffer.concat([frame(1, euro.subarray(0, 1)), frame(1, euro.subarray(1))]);
    for (const chunks of splits(bytes)) expect(decode(chunks)).toEqual([{ stream: 'stdout', text: '€ ok\n' }]);
  });

  it('passes unframed output (a TTY container) through as stdout', () => {
    for (const chunks of splits(Buffer.from('plain line\nnext ✓\n'))) {
      expect(decode(chunks)).toEqual([{ stream: 'stdout', text: 'plain line\nnext ✓\n' }]);
    }
  });

  it('Podman: an unframed replay of earlier lines followed by framed live output', () => {
    const bytes = Buffer.concat([Buffer.from('hello from worker\n'), frame(2, 'to stderr\n'), frame(1, 'later\n')]);
    for (const chunks of splits(bytes)) {
      expect(decode(chunks)).toEqual([
        { stream: 'stdout', text: 'hello from worker\n' },
        { stream: 'stderr', text: 'to stderr\n' },
        { stream: 'stdout', text: 'later\n' },
      ]);
    }
  });
});
