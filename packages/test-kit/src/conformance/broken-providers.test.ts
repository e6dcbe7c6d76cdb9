import { AssertionError } from 'node:assert';
import type { InstanceHandle, Provider, ProviderCapabilities, StartInstanceRequest } from '@latentci/core';
import { describe, expect, it } from 'vitest';
import { applicableCases, type CollectedCase, collectConformanceCases, conformanceSuite } from './conformance-suite.js';
import { type InMemorySettings, inMemoryConformance } from './in-memory-backend.js';
import type { CaseContext } from './options.js';

/**
 * The suite is only worth something if it catches broken providers. Each one here breaks one rule
 * on top of the in-memory reference provider; the case that checks that rule must fail, with a
 * message that names the problem.
 */

type Overrides = Partial<Record<keyof Provider, unknown>> & { capabilities?: ProviderCapabilities };

function delegate(provider: Provider, overrides: Overrides): Provider {
  const base: Record<string, unknown> = {
    specificationVersion: provider.specificationVersion,
    provider: `broken-${provider.provider}`,
    capabilities: provider.capabilities,
    startInstance: (request: StartInstanceRequest, options: { signal: AbortSignal }) =>
      provider.startInstance(request, options),
    stopInstance: (target: never, options: never) => provider.stopInstance(target, options),
  };
  for (const hook of ['checkInstance', 'renderStartSettings', 'listOrphans', 'reapOrphans'] as const) {
    const method = provider[hook] as ((...args: unknown[]) => unknown) | undefined;
    if (method) base[hook] = (...args: unknown[]) => method.apply(provider, args);
  }
  return { ...base, ...overrides } as unknown as Provider;
}

function casesOf(
  breakIt: (provider: Provider, settings: InMemorySettings, context: CaseContext) => Provider,
): CollectedCase[] {
  const reference = inMemoryConformance();
  return collectConformanceCases({
    ...reference,
    createProvider: (settings, context) => breakIt(reference.createProvider(settings, context), settings, context),
    attachTimeout: 3,
    cleanupTimeout: 1,
  });
}

async function expectCaseFails(cases: CollectedCase[], id: string, message: RegExp): Promise<void> {
  const found = cases.find((c) => c.id === id);
  expect(found, `case ${id} is registered`).toBeDefined();
  const error = await found?.run().then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, `case ${id} must fail`).toBeInstanceOf(AssertionError);
  expect((error as Error).message).toMatch(message);
}

async function expectCasePasses(cases: CollectedCase[], id: string): Promise<void> {
  await cases.find((c) => c.id === id)?.run();
}

describe('the conformance suite catches broken providers', () => {
  it('a provider that leaks its instance (stop does nothing) fails the leak check', async () => {
    const cases = casesOf((provider) => delegate(provider, { stopInstance: async () => {} }));
    await expectCaseFails(cases, 'start-attach-stop', /stopInstance|leak/);
  });

  it('a provider that ignores the environment it is given fails: its worker never attaches', async () => {
    const cases = casesOf((provider) =>
      delegate(provider, {
        startInstance: (request: StartInstanceRequest, options: { signal: AbortSignal }) =>
          provider.startInstance(
            { ...request, environment: { ...request.environment, WORKERNAME: 'worker' } },
            options,
          ),
      }),
    );
    await expectCaseFails(
      cases,
      'start-attach-stop',
      /\[environment contract\] worker "cf-[^"]+" never attached .* the attach server saw: "worker"/,
    );
  });

  it('a provider that always uses masterPort (drops the port of masterFQDN) fails the host:port case', async () => {
    const cases = casesOf((provider) =>
      delegate(provider, {
        startInstance: (request: StartInstanceRequest, options: { signal: AbortSignal }) =>
          provider.startInstance(
            {
              ...request,
              environment: {
                ...request.environment,
                BUILDMASTER_PORT: String(request.master.port ? 9989 : request.environment.BUILDMASTER_PORT),
              },
            },
            options,
          ),
      }),
    );
    await expectCasePasses(cases, 'environment-host-only');
    await expectCaseFails(cases, 'environment-host-and-port', /never attached .*no worker connected/);
  });

  it('a provider that mangles an IPv6 master (keeps the brackets) fails the IPv6 case', async () => {
    const reference = inMemoryConformance({ ipv6: false });
    const cases = collectConformanceCases({
      ...reference,
      createProvider: (settings, context) => {
        const provider = reference.createProvider(settings, context);
        return delegate(provider, {
          startInstance: (request: StartInstanceRequest, options: { signal: AbortSignal }) =>
            provider.startInstance(
              {
                ...request,
                environment: {
                  ...request.environment,
                  BUILDMASTER: request.master.host.includes(':') ? `[${request.master.host}]` : request.master.host,
                },
              },
              options,
            ),
        });
      },
      cleanupTimeout: 1,
    });
    await expectCaseFails(cases, 'environment-ipv6', /BUILDMASTER given to the instance is "\[2001:db8::1\]"/);
  });

  it('a provider whose stop is not idempotent fails the stop case', async () => {
    const cases = casesOf((provider) => {
      const stopped = new Set<string>();
      return delegate(provider, {
        stopInstance: async (target: { request: StartInstanceRequest; instance?: InstanceHandle }, options: never) => {
          if (!target.instance) throw new Error('nothing to stop');
          if (stopped.has(target.instance.id)) throw new Error(`instance ${target.instance.id} not found`);
          stopped.add(target.instance.id);
          await provider.stopInstance(target as never, options);
        },
      });
    });
    await expectCaseFails(
      cases,
      'stop-idempotent',
      /stopInstance without an instance \(nothing was started, fast: false\) must succeed/,
    );
  });

  it('a provider that logs the password (through events, or its logger) fails the secrets case', async () => {
    const throughEvents = casesOf((provider) =>
      delegate(provider, {
        startInstance: (request: StartInstanceRequest, options: { signal: AbortSignal }) => {
          request.events.log(`starting ${request.workerName} with WORKERPASS=${request.password}`);
          return provider.startInstance(request, options);
        },
      }),
    );
    await expectCaseFails(
      throughEvents,
      'secrets-never-leak',
      /the worker password appears in request\.events\.log lines/,
    );
    const throughLogger = casesOf((provider, _settings, context) =>
      delegate(provider, {
        startInstance: (request: StartInstanceRequest, options: { signal: AbortSignal }) => {
          context.logger.log('debug', 'environment', { environment: request.environment });
          return provider.startInstance(request, options);
        },
      }),
    );
    await expectCaseFails(throughLogger, 'secrets-never-leak', /the worker password appears in the logger/);
  });

  it('a provider that puts the password in its start errors fails the secrets case', async () => {
    const cases = casesOf((provider) =>
      delegate(provider, {
        startInstance: async (request: StartInstanceRequest, options: { signal: AbortSignal }) => {
          try {
            return await provider.startInstance(request, options);
          } catch (error) {
            (error as Error).message += ` (request: ${JSON.stringify(request.environment)})`;
            throw error;
          }
        },
      }),
    );
    await expectCaseFails(cases, 'secrets-never-leak', /the worker password appears in the error of a failed start/);
  });

  it('a provider that throws untyped errors fails the typed-error case', async () => {
    const cases = casesOf((provider, settings) =>
      delegate(provider, {
        startInstance: async (request: StartInstanceRequest, options: { signal: AbortSignal }) => {
          if (settings.kind === 'failing-start') throw new Error('no such image');
          return provider.startInstance(request, options);
        },
      }),
    );
    await expectCaseFails(
      cases,
      'start-failure-typed-error',
      /must reject with CannotSubstantiateError; it rejected with Error: no such image/,
    );
  });

  it('a provider that gives up on an aborted start but lets the backend finish it, and cannot clean up by name, fails the abort case', async () => {
    const cases = casesOf((provider) =>
      delegate(provider, {
        startInstance: (request: StartInstanceRequest, options: { signal: AbortSignal }) => {
          const creating = new Promise((resolve) => setTimeout(resolve, 100)).then(() =>
            provider.startInstance(request, { signal: new AbortController().signal }),
          );
          return new Promise((resolve, reject) => {
            options.signal.addEventListener('abort', () => reject(options.signal.reason), { once: true });
            creating.then(resolve, reject);
          });
        },
        stopInstance: async (target: { request: StartInstanceRequest; instance?: InstanceHandle }, options: never) => {
          if (target.instance) await provider.stopInstance(target as never, options);
        },
      }),
    );
    await expectCaseFails(cases, 'abort-during-start', /leak/);
  });

  it('a provider whose health check never notices a crash fails the crash case', async () => {
    const cases = casesOf((provider) => delegate(provider, { checkInstance: async () => ({ healthy: true }) }));
    await expectCaseFails(cases, 'crash-before-attach', /checkInstance still reports a crashed instance healthy/);
  });

  it('a provider whose renderStartSettings ignores the build properties fails the per-build case', async () => {
    const cases = casesOf((provider) =>
      delegate(provider, { renderStartSettings: async () => ({ image: 'probe-default' }) }),
    );
    await expectCaseFails(cases, 'per-build-settings', /must substitute the build properties/);
  });

  it('a provider whose listOrphans trusts its memory (a restarted master finds nothing) fails the orphan case', async () => {
    const cases = casesOf((provider) => {
      const mine = new Set<string>();
      return delegate(provider, {
        startInstance: async (request: StartInstanceRequest, options: { signal: AbortSignal }) => {
          const instance = await provider.startInstance(request, options);
          mine.add(instance.id);
          return instance;
        },
        listOrphans: async (owner: never, options: never) =>
          ((await provider.listOrphans?.(owner, options)) ?? []).filter((orphan) => mine.has(orphan.id)),
      });
    });
    await expectCaseFails(cases, 'orphan-reaping', /listOrphans of a fresh provider must find the instance/);
  });

  it('a provider that implements a hook without declaring its capability fails the declaration case', async () => {
    const cases = casesOf((provider) =>
      delegate(provider, { capabilities: { ...provider.capabilities, healthCheck: false } }),
    );
    expect(cases.some((c) => c.id === 'crash-before-attach')).toBe(false);
    await expectCaseFails(
      cases,
      'declares-contract',
      /implements checkInstance\(\) but does not declare capabilities\.healthCheck/,
    );
  });

  it('a provider whose two workers share one instance name fails the isolation case', async () => {
    const cases = casesOf((provider) =>
      delegate(provider, {
        startInstance: (request: StartInstanceRequest, options: { signal: AbortSignal }) =>
          provider.startInstance({ ...request, instanceName: 'buildbot-worker' }, options),
        stopInstance: (target: { request: StartInstanceRequest; instance?: InstanceHandle }, options: never) =>
          provider.stopInstance(
            { ...target, request: { ...target.request, instanceName: 'buildbot-worker' } } as never,
            options,
          ),
      }),
    );
    await expectCaseFails(cases, 'parallel-isolation', /stopping worker cf-\S+ also stopped worker cf-/);
  });
});

describe('case selection', () => {
  it('comes from the declared capabilities only', () => {
    const none = { healthCheck: false, perBuildSettings: false, orphanReaping: false, startupLogs: false };
    const all = { healthCheck: true, perBuildSettings: true, orphanReaping: true, startupLogs: true };
    const ids = (capabilities: ProviderCapabilities) => applicableCases(capabilities).map((c) => c.id);
    expect(ids(none)).not.toContain('crash-before-attach');
    expect(ids(none)).not.toContain('orphan-reaping');
    expect(ids(all)).toEqual(
      expect.arrayContaining(['crash-before-attach', 'per-build-settings', 'orphan-reaping', 'startup-logs']),
    );
    expect(ids(none)).toEqual(expect.arrayContaining(['start-attach-stop', 'stop-idempotent', 'secrets-never-leak']));
  });

  it('refuses "skip" options and points at capabilities', () => {
    const reference = inMemoryConformance();
    expect(() =>
      conformanceSuite({ ...reference, test: () => {}, skipOrphanReaping: true } as unknown as Parameters<
        typeof conformanceSuite
      >[0]),
    ).toThrow(/Cases are chosen from the provider's declared capabilities/);
  });

  it('names each case after its id and the rule it checks', () => {
    const names: string[] = [];
    conformanceSuite({ ...inMemoryConformance(), test: (name) => names.push(name) });
    expect(names[0]).toMatch(/^in-memory on in-memory › declares-contract: .+ \(rule: .+\)$/);
    expect(new Set(names).size).toBe(names.length);
  });
});
