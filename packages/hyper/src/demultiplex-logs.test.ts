import { describe, expect, it } from 'vitest';
import { demultiplexLogs } from './demultiplex-logs.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('demultiplexLogs', () => {
  it('joins the payloads of stdout and stderr frames in order', () => {
    expect(demultiplexLogs(Buffer.concat([frame(1, 'out\n'), frame(2, 'err é\n'), frame(1, 'more\n')]))).toBe(
      'out\nerr é\nmore\n',
    );
  });
  it('keeps frames longer than 127 bytes intact', () => {
    const long = 'x'.repeat(300);
    expect(demultiplexLogs(frame(1, long))).toBe(long);
  });
  it('returns plain text (a TTY container) as it is', () => {
    expect(demultiplexLogs(Buffer.from('plain output\n'))).toBe('plain output\n');
  });
  it('is empty for no output', () => {
    expect(demultiplexLogs(Buffer.alloc(0))).toBe('');
  });
});
