/** Formats a time as Hyper's `X-Hyper-Date`: `YYYYMMDD'T'HHMMSS'Z'` in UTC (Go layout `20060102T150405Z`). */
export function formatHyperDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Parses an `X-Hyper-Date` value; `undefined` when it is not exactly `YYYYMMDDTHHMMSSZ`. */
export function parseHyperDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, ...number[]];
  const date = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second));
  return formatHyperDate(date) === value ? date : undefined;
}
