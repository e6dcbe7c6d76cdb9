import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';

describe('LineSplitter', () => {
  it('emits complete lines without their \\n or \\r\\n, the rest on flush', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    splitter.push('one\r\ntw');
    splitter.push('o\n\nthree\r');
    expect(lines).toEqual(['one', 'two', '']);
    splitter.flush();
    splitter.flush();
    expect(lines).toEqual(['one', 'two', '', 'three']);
  });
});
