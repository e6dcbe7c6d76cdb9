import { describe, expect, it } from 'vitest';
import { parseByteSize } from './byte-size.js';

describe("parseByteSize (docker-py's parse_bytes)", () => {
  it('reads numbers as bytes and strings with b, k, m, g units in any case', () => {
    expect(parseByteSize(1000)).toBe(1000);
    expect(parseByteSize('1000')).toBe(1000);
    expect(parseByteSize('10b')).toBe(10);
    expect(parseByteSize('2k')).toBe(2048);
    expect(parseByteSize('512M')).toBe(512 * 1024 * 1024);
    expect(parseByteSize('1g')).toBe(1024 ** 3);
    expect(parseByteSize('512mb')).toBe(512 * 1024 * 1024);
    expect(parseByteSize('1.5k')).toBe(1536);
    expect(parseByteSize('')).toBe(0);
  });

  it('refuses unknown units and negative numbers', () => {
    expect(parseByteSize('12x')).toBeUndefined();
    expect(parseByteSize('m')).toBeUndefined();
    expect(parseByteSize(-1)).toBeUndefined();
  });
});
