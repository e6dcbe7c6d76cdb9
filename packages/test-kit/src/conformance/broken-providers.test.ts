import { AssertionError } from 'node:assert';
import type { InstanceHandle, Provider, ProviderCapabilities, StartInstanceRequest } from '@latentci/core';
import { describe, expect, it, vi } from 'vitest';
import { applicableCases, type CollectedCase, collectConformanceCases, conformanceSuite } from './conformance-suite.js';
import { sleep } from './harness.js';
import { type InMemoryConformanceOptions, type InMemorySettings, inMemoryConformance } from './in-memory-backend.js';
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
  options: Partial<Parameters<typeof collectConformanceCases<InMemorySettings>>[0]> & {
    readonly inMemory?: InMemoryConformanceOptions;
  } = {},
): CollectedCase[] {
  const { inMemory, ...rest } = options;
  const reference = inMemoryConformance(inMemory);
  return collectConformanceCases({
    ...reference,
    createProvider: (settings, context) => breakIt(reference.createProvider(settings, context), settings, context),
    attachTimeout: 3,
    cleanupTimeout: 1,
    ...rest,
  });
}

/** Rejects with the signal's reason when it aborts; otherwise settles like `promise`. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    promise.then(resolve, reject);
  });
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

async function expectCaseFails(cases: CollectedCase[], id: string, message: RegExp): Promise<void> {
  const found = cases.find((c) => c.id === id);
  expect(found, `case ${id} is registered`).toBeDefined();
  const error = await found?.run().then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, `case ${id} must fail`).toBeInstanceOf(AssertionError);
  // SHOW_MESSAGES=1 prints each caught failure message (to review or quote them).
  if (process.env.SHOW_MESSAGES) console.log(`MESSAGE ${id}: ${(error as Error).message}`);
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

  it('a provider whose start ignores its abort signal while the backend call is in flight fails the abort-honoured case', async () => {
    const ignoring = (provider: Provider) =>
      delegate(provider, {
        // The backend call takes 300 ms and the provider never looks at its signal.
        startInstance: async (request: StartInstanceRequest) => {
          await sleep(300);
          return provider.startInstance(request, { signal: new AbortController().signal });
        },
      });
    await expectCaseFails(
      casesOf(ignoring),
      'abort-honoured',
      /^\[abort\] startInstance ignored its abort signal while its backend call was in flight: aborted \d+\.\d ms into the start \(a full start takes \d+\.\d ms\), it resolved with an instance \d+ ms after the abort/,
    );
    // With a documented reason the suite prints a warning instead of failing.
    const warnings: string[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation((line: string) => warnings.push(line));
    try {
      await expectCasePasses(
        casesOf(ignoring, { startIgnoresAbort: 'the backend SDK has no cancellation' }),
        'abort-honoured',
      );
    } finally {
      warn.mockRestore();
    }
    expect(warnings.join('\n')).toMatch(
      /WARNING \(abort-honoured\): \[abort\] startInstance ignored its abort signal.* Accepted because: the backend SDK has no cancellation/,
    );
  });

  it('a provider whose aborted start lets the backend finish creating the instance (a few ms window) fails the abort-race case', async () => {
    const racing = (reportsPhase: boolean) => (provider: Provider) =>
      delegate(provider, {
        startInstance: async (request: StartInstanceRequest, options: { signal: AbortSignal }) => {
          await raceAbort(sleep(15), options.signal); // preparation: honours the signal
          if (reportsPhase)
            request.events.progress({ phase: 'create', status: 'the backend accepted the create call' });
          // The backend creates the instance 5 ms later, whatever happens to the provider's call.
          const creating = sleep(5).then(() =>
            provider.startInstance(request, { signal: new AbortController().signal }),
          );
          creating.catch(() => {});
          return raceAbort(creating, options.signal);
        },
        // Without an instance there is "nothing to stop".
        stopInstance: async (target: { request: StartInstanceRequest; instance?: InstanceHandle }, options: never) => {
          if (target.instance) await provider.stopInstance(target as never, options);
        },
      });
    const cases = casesOf(racing(true));
    await expectCasePasses(cases, 'abort-during-start'); // the fixed 0/50/300 ms abort points miss the window
    await expectCaseFails(
      cases,
      'abort-race-no-leak',
      /^\[abort race\] a start aborted while the provider reported event #1 of its start \(progress or log, a full start takes \d+\.\d ms\) \(it rejected\), then stopped without an instance, as the core does, left buildbot-cf-\S+ \(running, listed by the backend\), buildbot-cf-\S+ \(running, reported by listOrphans\) on the backend after 1 s: the backend created the instance while the start was being aborted\. stopInstance without an instance must remove whatever is named request\.instanceName/,
    );
    // Without the phase report, the sweep across the measured start (or a later event) finds the window.
    await expectCaseFails(
      casesOf(racing(false)),
      'abort-race-no-leak',
      /^\[abort race\] a start aborted (\d+\.\d ms into the start|while the provider reported event #\d of its start) \(.*a full start takes \d+\.\d ms\) \(it rejected\), then stopped without an instance, as the core does, left buildbot-cf-/,
    );
  });

  it('a provider whose stop without an instance does nothing fails the stop-without-instance case', async () => {
    const cases = casesOf((provider) =>
      delegate(provider, {
        stopInstance: async (target: { request: StartInstanceRequest; instance?: InstanceHandle }, options: never) => {
          if (target.instance) await provider.stopInstance(target as never, options);
        },
      }),
    );
    await expectCaseFails(
      cases,
      'stop-without-instance',
      /^\[stopInstance without an instance\] after a start created "buildbot-cf-\S+", stopInstance\(\{ request \}\) without the instance left buildbot-cf-\S+ \(running, listed by the backend\), .* on the backend: a start can fail or be aborted after the backend created its instance/,
    );
  });

  it('a provider that starts two replicas per worker fails the one-instance case', async () => {
    const replicaOf = (request: StartInstanceRequest) => ({ ...request, instanceName: `${request.instanceName}-2` });
    const cases = casesOf((provider) =>
      delegate(provider, {
        startInstance: async (request: StartInstanceRequest, options: { signal: AbortSignal }) => {
          const instance = await provider.startInstance(request, options);
          await provider.startInstance(replicaOf(request), options);
          return instance;
        },
        // The stop removes both (like removing the service), so only counting catches it.
        stopInstance: async (target: { request: StartInstanceRequest; instance?: InstanceHandle }, options: never) => {
          await provider.stopInstance(target as never, options);
          await provider.stopInstance({ request: replicaOf(target.request) } as never, options);
        },
      }),
    );
    await expectCasePasses(cases, 'start-attach-stop');
    await expectCaseFails(
      cases,
      'one-instance-per-worker',
      /^\[one instance per worker\] one start of worker "cf-\S+": listOrphans reports 2 \(buildbot-cf-\S+, buildbot-cf-\S+-2\); the attach server saw 2 connection attempts from "cf-\S+" \(2 accepted, 0 refused\)\. A start must create exactly one instance/,
    );
  });

  it('a backend that restarts a worker after it exited (restart policy "any") fails the no-restart case', async () => {
    const cases = casesOf((provider) => provider, { inMemory: { restartExitedWorkers: true } });
    await expectCaseFails(
      cases,
      'no-restart-after-exit',
      /^\[no restart\] the worker of "cf-\S+" exited \(the master closed its connection and the probe exits like a finished worker\), and the backend started it again: the attach server saw 2 connections from "cf-\S+" within 3 s\. Turn the backend's restart policy off/,
    );
  });

  it('a stop that never returns fails its case within hookTimeout, naming the hook, and the harness still cleans up', async () => {
    let masterId = '';
    const reference = inMemoryConformance();
    const cases = collectConformanceCases({
      ...reference,
      createProvider: (settings, context) => {
        masterId = context.masterId;
        return delegate(reference.createProvider(settings, context), { stopInstance: () => never() });
      },
      attachTimeout: 3,
      cleanupTimeout: 1,
      hookTimeout: 1,
    });
    const began = Date.now();
    await expectCaseFails(
      cases,
      'start-attach-stop',
      /^\[hang\] stopInstance\(\) for worker "cf-\S+" has not returned after 1\.\d s \(the suite waits 1 s for stopInstance: hookTimeout\); every hook must settle: bound each backend call and honour the signal\. The case's cleanup still runs\.$/,
    );
    expect(Date.now() - began).toBeLessThan(10_000);
    // The cleanup reaped what the hung stop left.
    expect(await reference.backend.listInstances({ masterId }, { signal: AbortSignal.timeout(5000) })).toEqual([]);
  });

  it('a health check that never returns fails the crash case within hookTimeout, naming the hook', async () => {
    const cases = casesOf((provider) => delegate(provider, { checkInstance: () => never() }), { hookTimeout: 1 });
    await expectCaseFails(
      cases,
      'crash-before-attach',
      /^\[hang\] checkInstance\(\) for instance "buildbot-cf-\S+" has not returned after 1\.\d s \(the suite waits 1 s for checkInstance: hookTimeout\)/,
    );
  });

  it('the suite redacts the worker password from its own failure messages', async () => {
    const passwords: string[] = [];
    const reference = inMemoryConformance({ ipv6: false });
    const cases = collectConformanceCases({
      ...reference,
      createProvider: (settings, context) => {
        const provider = reference.createProvider(settings, context);
        return delegate(provider, {
          startInstance: (request: StartInstanceRequest, options: { signal: AbortSignal }) => {
            passwords.push(request.password);
            // Quotes the password in the environment: the value is wrong, and it contains the secret.
            const environment = { ...request.environment, WORKERPASS: `'${request.password}'` };
            return provider.startInstance({ ...request, environment }, options);
          },
        });
      },
      cleanupTimeout: 1,
    });
    const failed = cases.find((c) => c.id === 'environment-ipv6');
    const error = (await failed?.run().then(
      () => undefined,
      (reason: unknown) => reason,
    )) as Error;
    expect(error).toBeInstanceOf(AssertionError);
    expect(error.message).toBe("[environment contract] WORKERPASS given to the instance is not the worker's password");
    expect(passwords.length).toBeGreaterThan(0);
    for (const password of passwords) expect(`${error.message}\n${error.stack}`).not.toContain(password);
  });

  it('a provider whose health check drops the pending reason and retryable: false fails the healthDetails cases', async () => {
    const cases = casesOf((provider) =>
      delegate(provider, {
        checkInstance: async (instance: never, options: never) => {
          const health = await provider.checkInstance?.(instance, options);
          return health?.healthy === false ? { healthy: false, message: health.message } : { healthy: true };
        },
      }),
    );
    await expectCaseFails(
      cases,
      'health-pending',
      /^\[healthDetails\] checkInstance of an instance the backend cannot place \(worker kind "pending"\) must answer \{ healthy: true, pending: '<why>' \} within 3 s; its last answer was \{"healthy":true\}/,
    );
    await expectCaseFails(
      cases,
      'health-not-retryable',
      /^\[healthDetails\] checkInstance of an instance that can never run \(worker kind "unplaceable"\) must answer \{ healthy: false, message, retryable: false \} within 3 s; its last answer was \{"healthy":false,"message":"in-memory backend: the image \\"probe-missing\\" is not on the node"\}/,
    );
  });

  it('a provider whose start resolves "refused" (a falsy value) fails: a start resolves an instance or rejects', async () => {
    const cases = casesOf((provider) => delegate(provider, { startInstance: async () => null }));
    await expectCaseFails(
      cases,
      'stop-without-instance',
      /^\[startInstance\] resolved null instead of an instance: a start resolves an instance or rejects/,
    );
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
