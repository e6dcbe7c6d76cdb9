/** The container sizes Hyper sold (its 2016 price list; Buildbot's `ALLOWED_SIZES`). */
export const HYPER_SIZES = ['s1', 's2', 's3', 's4', 'm1', 'm2', 'm3', 'l1', 'l2', 'l3'] as const;

export type HyperSize = (typeof HYPER_SIZES)[number];

/** The label Hyper reads the container size from. */
export const SIZE_LABEL = 'sh_hyper_instancetype';

/** Buildbot's default `hyper_size`. */
export const DEFAULT_SIZE: HyperSize = 's3';

/** CPUs and memory of each size, from Hyper's pricing FAQ. */
export const SIZE_RESOURCES: Readonly<Record<HyperSize, { readonly cpus: number; readonly memoryMegabytes: number }>> =
  {
    s1: { cpus: 1, memoryMegabytes: 64 },
    s2: { cpus: 1, memoryMegabytes: 128 },
    s3: { cpus: 1, memoryMegabytes: 256 },
    s4: { cpus: 1, memoryMegabytes: 512 },
    m1: { cpus: 1, memoryMegabytes: 1024 },
    m2: { cpus: 2, memoryMegabytes: 2048 },
    m3: { cpus: 2, memoryMegabytes: 4096 },
    l1: { cpus: 4, memoryMegabytes: 4096 },
    l2: { cpus: 4, memoryMegabytes: 8192 },
    l3: { cpus: 8, memoryMegabytes: 16384 },
  };

export function isHyperSize(value: unknown): value is HyperSize {
  return typeof value === 'string' && (HYPER_SIZES as readonly string[]).includes(value);
}

/** Buildbot's message for a bad size: `Size is not valid 'big' vs ['s1', 's2', …]` (Python repr). */
export function invalidSizeMessage(size: unknown): string {
  const shown = typeof size === 'string' ? `'${size}'` : String(size);
  return `Size is not valid ${shown} vs [${HYPER_SIZES.map((s) => `'${s}'`).join(', ')}]`;
}
