import { describe, expect, it } from 'vitest';
import { LogLineDecoder } from './log-line-decoder.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('LogLineDecoder', () => {
  it('emits whole lines per stream, also when frames and lines are split across chunks', () => {
    const lines: string[] = [];
    const decoder = new LogLineDecoder((line, stream) => lines.push(`${stream}:${line}`));
    const bytes = Buffer.concat([
      frame(1, 'hello wo'),
      frame(2, 'oops\n'),
      frame(1, 'rld\r\nnext\n'),
      frame(1, 'tail'),
    ]);
    for (let index = 0; index < bytes.length; index += 3) decoder.push(bytes.subarray(index, index + 3));
    expect(lines).toEqual(['stderr:oops', 'stdout:hello world', 'stdout:next']);
    decoder.end();
    expect(lines.at(-1)).toBe('stdout:tail');
  });
});
