import { describe, it } from 'vitest';
import { conformanceSuite } from './conformance/conformance-suite.js';
import type { ConformanceOptions } from './conformance/options.js';

export interface DescribeConformanceOptions<Settings> extends Omit<ConformanceOptions<Settings>, 'test'> {
  /** Milliseconds each case may take before vitest fails it. Default 180 000. */
  readonly timeout?: number;
}

/**
 * Runs the conformance suite as a vitest `describe` block: one `it` per case, chosen from the
 * provider's declared capabilities.
 *
 * @example
 * // my-provider.conformance.test.ts
 * import { describeConformance } from '@latentci/test-kit/vitest';
 * describeConformance({ createProvider: (settings) => createMyProvider(settings), backend: myBackend });
 */
export function describeConformance<Settings>(options: DescribeConformanceOptions<Settings>): void {
  const { timeout = 180_000, ...suite } = options;
  describe(options.name ?? `latentci conformance on ${options.backend.name}`, () => {
    conformanceSuite({ ...suite, test: (name, fn) => it(name, fn, timeout) });
  });
}

export * from './conformance/options.js';
