import { describe, test } from 'node:test';
import { conformanceSuite } from './conformance/conformance-suite.js';
import type { ConformanceOptions } from './conformance/options.js';

export interface DescribeConformanceOptions<Settings> extends Omit<ConformanceOptions<Settings>, 'test'> {
  /** Milliseconds each case may take before node:test fails it. Default 180 000. */
  readonly timeout?: number;
}

/**
 * Runs the conformance suite with `node:test`: a `describe` block with one `test` per case,
 * chosen from the provider's declared capabilities. Run the file with `node --test`.
 *
 * @example
 * // my-provider.conformance.test.mjs
 * import { describeConformance } from '@latentci/test-kit/node-test';
 * describeConformance({ createProvider: (settings) => createMyProvider(settings), backend: myBackend });
 */
export function describeConformance<Settings>(options: DescribeConformanceOptions<Settings>): void {
  const { timeout = 180_000, ...suite } = options;
  describe(options.name ?? `latentci conformance on ${options.backend.name}`, () => {
    conformanceSuite({ ...suite, test: (name, fn) => test(name, { timeout }, fn) });
  });
}

export * from './conformance/options.js';
