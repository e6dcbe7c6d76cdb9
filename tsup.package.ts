import type { Options } from 'tsup';

/**
 * The build every latentci package shares: ESM + CJS with types, for Node 22.19+. `node:` specifiers
 * are kept (tsup strips them by default, which breaks `node:test`, a builtin that only exists
 * with its prefix).
 */
export function packageBuild(entry: string[], overrides: Options = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'node22',
    removeNodeProtocol: false,
    ...overrides,
  };
}
