import { describe, expect, it } from 'vitest';
import { demultiplex, demultiplexToText, LineSplitter } from './multiplexed-output.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const content = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(content.length, 4);
  return Buffer.concat([header, content]);
}

describe('container output decoding', () => {
  it('splits the multiplexed log format into stdout and stderr frames, in order', () => {
    const buffer = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
    expect(demultiplex(buffer)).toEqual([
      { stream: 'stdout', text: 'out 1\n' },
      { stream: 'stderr', text: 'err 1\n' },
      { stream: 'stdout', text: 'out 2\n' },
    ]);
    expect(demultiplexToText(buffer)).toBe('out 1\nerr 1\nout 2\n');
  });

  it('returns output that is not multiplexed (a TTY container) as stdout text', () => {
    expect(demultiplex(Buffer.from('plain text output\n'))).toEqual([
      { stream: 'stdout', text: 'plain text output\n' },
    ]);
  });

  it('emits complete lines across chunks, without \\n or \\r\\n, and the rest on flush', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push('first li');
    splitter.push('ne\r\nsecond\nthi');
    expect(lines).toEqual(['first line', 'second']);
    splitter.flush();
    expect(lines).toEqual(['first line', 'second', 'thi']);
  });
});
