/** One line of `pnpm bench` output. Times in milliseconds unless `unit` says otherwise. */
export interface Figure {
  readonly group: string;
  readonly figure: string;
  readonly unit: string;
  readonly median: number;
  readonly p95: number;
  /** The same figure for the floor (the physical minimum measured in the same run), when there is one. */
  readonly floor?: { readonly median: number; readonly p95: number };
  /** median / floor median. */
  readonly ratio?: number;
  readonly note?: string;
}

export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

export const median = (samples: readonly number[]) => quantile(samples, 0.5);
export const p95 = (samples: readonly number[]) => quantile(samples, 0.95);

/** A figure with its floor, from raw samples. */
export function compare(
  group: string,
  figure: string,
  ours: readonly number[],
  floor: readonly number[],
  unit = 'ms',
): Figure {
  const floorMedian = median(floor);
  return {
    group,
    figure,
    unit,
    median: median(ours),
    p95: p95(ours),
    floor: { median: floorMedian, p95: p95(floor) },
    ratio: median(ours) / floorMedian,
  };
}

export function single(group: string, figure: string, samples: readonly number[], unit: string, note?: string): Figure {
  return { group, figure, unit, median: median(samples), p95: p95(samples), ...(note ? { note } : {}) };
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** The human table of `pnpm bench`. */
export function formatTable(figures: readonly Figure[]): string {
  const header = ['group', 'figure', 'median', 'p95', 'unit', 'floor median', 'ratio', 'note'];
  const rows = figures.map((f) => [
    f.group,
    f.figure,
    formatNumber(f.median),
    formatNumber(f.p95),
    f.unit,
    f.floor ? formatNumber(f.floor.median) : '',
    f.ratio !== undefined ? `${f.ratio.toFixed(3)}×` : '',
    f.note ?? '',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
