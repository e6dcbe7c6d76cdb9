/**
 * Decodes a Docker raw log stream: with `Tty: false` it is a sequence of frames, an 8-byte header
 * `[stream, 0, 0, 0, length (uint32 BE)]` then the payload. Anything that does not parse as frames
 * (a TTY container's plain output) is returned as text.
 */
export function demultiplexLogs(data: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= data.length) {
    const stream = data[offset];
    if (
      stream === undefined ||
      stream > 2 ||
      data[offset + 1] !== 0 ||
      data[offset + 2] !== 0 ||
      data[offset + 3] !== 0
    ) {
      return data.toString('utf8');
    }
    const length = data.readUInt32BE(offset + 4);
    parts.push(data.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  if (offset !== data.length) return data.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}
