/** Units docker-py's `parse_bytes` accepts: bytes, KiB, MiB, GiB. */
const UNITS: Readonly<Record<string, number>> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * docker-py's `parse_bytes`: a number is bytes; a string is digits with an optional unit `b`,
 * `k`, `m` or `g` (any case, optionally followed by `b`: `512mb`). Returns undefined when the text
 * is not a size.
 */
export function parseByteSize(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.trunc(value) : undefined;
  let text = value.trim();
  if (text.length === 0) return 0;
  if (/[a-z]{2}$/i.test(text) && /b$/i.test(text)) text = text.slice(0, -1);
  const match = /^(\d+(?:\.\d+)?)([bkmg])?$/i.exec(text);
  if (!match?.[1]) return undefined;
  const unit = UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1;
  return Math.trunc(Number(match[1]) * unit);
}
