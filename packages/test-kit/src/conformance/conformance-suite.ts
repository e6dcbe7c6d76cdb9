import type { ProviderCapabilities } from '@latentci/core';
import { CONFORMANCE_CASES, type ConformanceCase } from './cases.js';
import { CaseHarness } from './harness.js';
import type { ConformanceOptions } from './options.js';

const KNOWN_OPTIONS = new Set([
  'test',
  'createProvider',
  'backend',
  'attachTimeout',
  'cleanupTimeout',
  'hookTimeout',
  'startIgnoresAbort',
  'name',
  'realWorker',
]);

/** A registered case, as {@link collectConformanceCases} returns it. */
export interface CollectedCase {
  readonly id: string;
  readonly name: string;
  readonly run: () => Promise<void>;
}

/**
 * Registers the conformance cases for a provider with `options.test`. Which cases run depends only
 * on the provider's declared `capabilities`: there is no option to skip a case (declare what your
 * provider does instead). Each case uses its own master id and attach server, drives the provider
 * through core's `LatentWorker` and directly through the contract, and ends with a leak check
 * against `backend.listInstances()` (and `listOrphans()` when the provider reaps orphans). A hook
 * call that does not settle within `hookTimeout` (30 s; `startInstance`: `attachTimeout` +
 * `hookTimeout`) fails its case as hung; cleanup still runs, each step bounded by `hookTimeout`.
 * Failure messages never show the case's worker passwords.
 *
 * @example
 * import { test } from 'node:test';
 * conformanceSuite({ test, createProvider: (settings) => createMyProvider(settings), backend });
 */
export function conformanceSuite<Settings>(options: ConformanceOptions<Settings>): void {
  for (const key of Object.keys(options)) {
    if (KNOWN_OPTIONS.has(key)) continue;
    if (/skip|only|exclude|disable|ignore/i.test(key)) {
      throw new TypeError(
        `conformanceSuite: there is no "${key}" option. Cases are chosen from the provider's declared capabilities; declare capabilities.healthCheck / perBuildSettings / orphanReaping / startupLogs false for what it does not do.`,
      );
    }
    throw new TypeError(`conformanceSuite: unknown option "${key}" (known: ${[...KNOWN_OPTIONS].join(', ')})`);
  }
  if (typeof options.test !== 'function')
    throw new TypeError('conformanceSuite: options.test must be a (name, fn) => void registrar');
  if (typeof options.createProvider !== 'function')
    throw new TypeError('conformanceSuite: options.createProvider must be a function');
  if (!options.backend || typeof options.backend.listInstances !== 'function') {
    throw new TypeError('conformanceSuite: options.backend must describe the backend (see ConformanceBackend)');
  }
  const registration = new CaseHarness(options, 'registration');
  const provider = registration.provider('attaching');
  if (
    provider === null ||
    typeof provider !== 'object' ||
    typeof (provider as { then?: unknown }).then === 'function'
  ) {
    throw new TypeError('conformanceSuite: createProvider must return a provider synchronously');
  }
  const capabilities = provider.capabilities ?? {};
  const prefix = options.name ?? `${provider.provider} on ${options.backend.name}`;
  let setup: Promise<void> | undefined;
  for (const conformanceCase of applicableCases(capabilities)) {
    options.test(
      `${prefix} › ${conformanceCase.id}: ${conformanceCase.title} (rule: ${conformanceCase.rule})`,
      async () => {
        setup ??= options.backend.setup?.() ?? Promise.resolve();
        await setup;
        await runCase(options, conformanceCase);
      },
    );
  }
}

/** The cases a provider with `capabilities` gets. */
export function applicableCases(capabilities: Partial<ProviderCapabilities>): readonly ConformanceCase[] {
  return CONFORMANCE_CASES.filter((c) => c.capability === undefined || capabilities[c.capability] === true);
}

async function runCase<Settings>(
  options: ConformanceOptions<Settings>,
  conformanceCase: ConformanceCase,
): Promise<void> {
  const harness = new CaseHarness(options, conformanceCase.id);
  const watch = harness.watchHangs();
  let failed = false;
  try {
    const run = (async () => {
      await conformanceCase.run(harness);
      if (conformanceCase.leakCheck !== false) await harness.assertNoLeaks();
    })();
    run.catch(() => {});
    await Promise.race([run, watch.hung]);
  } catch (error) {
    failed = true;
    // The suite follows its own rule: no worker password in its messages.
    throw harness.redactError(error);
  } finally {
    watch.stop();
    await harness.cleanup({ failed });
  }
}

/**
 * Registers the suite with a collecting registrar and returns the cases: run one by id, or all of
 * them your own way. The suite's own tests use it to prove that broken providers fail the right case.
 */
export function collectConformanceCases<Settings>(
  options: Omit<ConformanceOptions<Settings>, 'test'>,
): CollectedCase[] {
  const cases: CollectedCase[] = [];
  conformanceSuite({
    ...options,
    test: (name, run) => {
      const id = /› ([a-z0-9-]+):/.exec(name)?.[1] ?? name;
      cases.push({ id, name, run });
    },
  });
  return cases;
}
