/** One item of a preparation step (an image layer), as last reported. */
export interface ProgressItem {
  readonly status: string;
  readonly current?: number | undefined;
  readonly total?: number | undefined;
}

/** Formats a byte count the way `docker pull` does: `12.3MB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)}${units[unit]}`;
}

/**
 * Renders one line for a phase's progress: a bar over the items that report totals (bytes of all
 * layers), or the latest status when none does. `width` is the bar's width in characters.
 */
export function renderProgressBar(phase: string, items: ReadonlyMap<string, ProgressItem>, width = 24): string {
  let current = 0;
  let total = 0;
  let latest = '';
  for (const item of items.values()) {
    latest = item.status;
    if (item.total !== undefined && item.total > 0) {
      total += item.total;
      current += Math.min(item.current ?? 0, item.total);
    }
  }
  if (total === 0) return `${phase}: ${latest}`;
  const ratio = current / total;
  const filled = Math.round(ratio * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  return `${phase} [${bar}] ${Math.floor(ratio * 100)}% ${formatBytes(current)}/${formatBytes(total)}`;
}
