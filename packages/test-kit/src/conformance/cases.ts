import assert from 'node:assert/strict';
import {
  assertProvider,
  isAbortError,
  latentErrorCode,
  type ProviderCapabilities,
  SubstantiationCancelledError,
} from '@latentci/core';
import { expectAttached, settleWithin, startAttachedDirect, substantiateOrFail } from './case-helpers.js';
import { ABORT_CASES } from './cases-abort.js';
import { HEALTH_DETAILS_CASES } from './cases-health-details.js';
import { INSTANCE_CASES } from './cases-instances.js';
import { type CaseHarness, expectedEnvironment, type MasterSpec, propertiesOf, sleep, textOf } from './harness.js';
import { PROBE_CRASH_MESSAGE } from './options.js';

/** One conformance case: the contract rule it checks, when it applies, and how. */
export interface ConformanceCase {
  /** Stable id, e.g. `start-attach-stop`. Case names start with it. */
  readonly id: string;
  /** What must hold. */
  readonly title: string;
  /** The contract rule it checks (where to read about it). */
  readonly rule: string;
  /** The capability that selects it; absent: every provider. */
  readonly capability?: keyof ProviderCapabilities;
  /** Whether the harness runs the leak check after it (false for cases that check no backend). */
  readonly leakCheck?: boolean;
  run<Settings>(harness: CaseHarness<Settings>): Promise<void>;
}

const CAPABILITY_HOOKS: Record<
  Exclude<keyof ProviderCapabilities, 'startupLogs' | 'healthDetails'>,
  readonly string[]
> = {
  healthCheck: ['checkInstance'],
  perBuildSettings: ['renderStartSettings'],
  orphanReaping: ['listOrphans', 'reapOrphans'],
};

export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  {
    id: 'declares-contract',
    title: 'declares specificationVersion v1, a name, and capabilities that match the hooks it implements',
    rule: 'ProviderV1 / ProviderCapabilities',
    leakCheck: false,
    async run(h) {
      const provider = h.provider();
      assertProvider(provider);
      assert.equal(provider.specificationVersion, 'v1');
      for (const key of ['healthCheck', 'perBuildSettings', 'orphanReaping', 'startupLogs'] as const) {
        assert.equal(typeof provider.capabilities[key], 'boolean', `capabilities.${key} must be a boolean`);
      }
      for (const [capability, hooks] of Object.entries(CAPABILITY_HOOKS)) {
        const declared = provider.capabilities[capability as keyof typeof CAPABILITY_HOOKS];
        for (const hook of hooks) {
          const implemented = typeof (provider as unknown as Record<string, unknown>)[hook] === 'function';
          assert.equal(
            implemented,
            declared,
            declared
              ? `declares ${capability} but does not implement ${hook}()`
              : `implements ${hook}() but does not declare capabilities.${capability}: declare it so the suite checks it (the core calls ${hook}() whenever it exists)`,
          );
        }
      }
      const details = provider.capabilities.healthDetails;
      assert.ok(
        details === undefined || typeof details === 'boolean',
        'capabilities.healthDetails, when present, must be a boolean',
      );
      if (details) {
        assert.ok(
          provider.capabilities.healthCheck,
          'declares healthDetails (pending reasons, retryable: false) but not healthCheck: the answers come from checkInstance',
        );
      }
    },
  },
  {
    id: 'start-attach-stop',
    title: 'a started worker attaches with its name and password; stopping it leaves nothing behind',
    rule: 'startInstance / stopInstance, environment contract',
    async run(h) {
      const server = await h.server();
      const worker = await h.worker({ provider: h.provider() });
      await substantiateOrFail(h, worker);
      await expectAttached(
        h,
        server,
        worker.name,
        expectedEnvironment(worker.name, worker.password, { host: h.masterHost, masterPort: server.port }),
      );
      worker.buildStarted();
      worker.buildFinished({ result: 'SUCCESS' });
      await worker.insubstantiate();
      await server.waitForDetach(worker.name, { timeoutMs: (h.options.cleanupTimeout ?? 20) * 1000 }).catch(() => {
        assert.fail(
          '[stopInstance] the worker still runs after stopInstance resolved: its connection to the master did not close',
        );
      });
      await worker.shutdown();
    },
  },
  {
    id: 'environment-host-only',
    title: 'masterFQDN without a port: BUILDMASTER is the host, BUILDMASTER_PORT is masterPort',
    rule: 'environment contract (BUILDMASTER, BUILDMASTER_PORT, BUILDMASTER_PROTOCOL, WORKERNAME, WORKERPASS)',
    async run(h) {
      const server = await h.server();
      const worker = await h.worker({ provider: h.provider(), masterFQDN: h.masterHost, masterPort: server.port });
      await substantiateOrFail(h, worker);
      await expectAttached(
        h,
        server,
        worker.name,
        expectedEnvironment(worker.name, worker.password, { host: h.masterHost, masterPort: server.port }),
      );
      await worker.insubstantiate();
    },
  },
  {
    id: 'environment-host-and-port',
    title: 'masterFQDN host:port: BUILDMASTER_PORT is the port from masterFQDN, and masterProtocol reaches the worker',
    rule: 'environment contract, masterFQDN',
    async run(h) {
      const server = await h.server();
      const worker = await h.worker({
        provider: h.provider(),
        masterFQDN: `${h.masterHost}:${server.port}`,
        masterPort: server.port === 9989 ? 9990 : 9989,
        masterProtocol: 'msgpack_experimental_v7',
      });
      await substantiateOrFail(h, worker);
      await expectAttached(
        h,
        server,
        worker.name,
        expectedEnvironment(worker.name, worker.password, {
          host: h.masterHost,
          port: server.port,
          masterPort: 9989,
          protocol: 'msgpack_experimental_v7',
        }),
      );
      await worker.insubstantiate();
    },
  },
  {
    id: 'environment-ipv6',
    title: 'an IPv6 masterFQDN ([address]:port) reaches the worker as a bare address and its port',
    rule: 'environment contract, masterFQDN',
    async run(h) {
      const ipv6 = h.options.backend.ipv6;
      if (ipv6) {
        const server = await h.extraServer(ipv6.listenHost ?? ipv6.masterHost);
        const worker = await h.worker({
          provider: h.provider(),
          server,
          masterFQDN: `[${ipv6.masterHost}]:${server.port}`,
        });
        await substantiateOrFail(h, worker);
        await expectAttached(
          h,
          server,
          worker.name,
          expectedEnvironment(worker.name, worker.password, {
            host: ipv6.masterHost,
            port: server.port,
            masterPort: 9989,
          }),
        );
        await worker.insubstantiate();
        return;
      }
      // No IPv6 route: start with an unreachable documentation address and read what the backend got.
      const name = h.workerName();
      const password = h.password();
      const master: MasterSpec = { host: '2001:db8::1', port: 9999, masterPort: 9989 };
      const start = await h.startDirect(h.provider(), h.request(name, password, master));
      const instances = await h.options.backend.listInstances(
        { masterId: h.masterId, workerName: name },
        { signal: AbortSignal.timeout(30_000) },
      );
      const environment = instances.find((instance) => instance.environment)?.environment;
      assert.ok(
        environment,
        `[environment contract] the backend "${h.options.backend.name}" declares no ipv6 route and its listInstances() returns no environment: give the backend either (ConformanceBackend.ipv6 or BackendInstance.environment)`,
      );
      for (const [key, value] of Object.entries(expectedEnvironment(name, password, master))) {
        if (key === 'WORKERPASS') {
          assert.ok(
            environment[key] === value,
            `[environment contract] WORKERPASS given to the instance is ${environment[key] === undefined ? 'missing' : "not the worker's password"}`,
          );
          continue;
        }
        assert.equal(
          environment[key],
          value,
          `[environment contract] ${key} given to the instance is ${JSON.stringify(environment[key])}, expected ${JSON.stringify(value)}`,
        );
      }
      await h.stopDirect(start);
    },
  },
  {
    id: 'start-failure-typed-error',
    title: 'a start the backend refuses rejects with the right typed error, and the stop that follows leaves nothing',
    rule: 'startInstance errors (FailedToSubstantiateError / CannotSubstantiateError / ConfigurationError)',
    async run(h) {
      const failure = h.options.backend.startFailure;
      const server = await h.server();
      const provider = h.providerWith(failure.settings);
      const name = h.workerName();
      const request = h.request(name, h.password(), { host: h.masterHost, masterPort: server.port });
      const start = h.startDirect(provider, request);
      const result = await settleWithin(start, h.attachTimeoutMs, 'the failing startInstance');
      assert.equal(result.status, 'rejected', `startInstance must reject when ${failure.because}, but it resolved`);
      const error = (result as PromiseRejectedResult).reason as unknown;
      assert.ok(
        error instanceof failure.error,
        `when ${failure.because}, startInstance must reject with ${failure.error.name}; it rejected with ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
      const direct = h.directStarts.at(-1);
      if (direct) await h.stopDirect(direct);

      const worker = await h.worker({ provider: h.providerWith(failure.settings) });
      const through = await settleWithin(worker.substantiate(), h.attachTimeoutMs, 'substantiate() of a failing start');
      assert.equal(through.status, 'rejected', 'substantiate() must reject when the start fails');
      const reason = (through as PromiseRejectedResult).reason as Error;
      assert.ok(
        reason instanceof failure.error || reason.cause instanceof failure.error,
        `through LatentWorker the failure must carry ${failure.error.name}; got ${reason.name}: ${reason.message}`,
      );
      await worker.shutdown();
    },
  },
  {
    id: 'abort-during-start',
    title: 'aborting a start (and stopping a worker while it starts) leaves nothing behind',
    rule: 'startInstance signal; stopInstance without an instance',
    async run(h) {
      const server = await h.server();
      const provider = h.provider();
      for (const delay of [0, 50, 300]) {
        const name = h.workerName();
        const request = h.request(name, h.password(), { host: h.masterHost, masterPort: server.port });
        const controller = new AbortController();
        const reason = new SubstantiationCancelledError('conformance: start aborted');
        const start = h.startDirect(provider, request, controller.signal);
        await sleep(delay);
        controller.abort(reason);
        const result = await settleWithin(start, 30_000, `startInstance after its signal aborted (${delay} ms)`);
        if (result.status === 'rejected') {
          const error = result.reason as unknown;
          assert.ok(
            error === reason || isAbortError(error) || latentErrorCode(error) === 'SUBSTANTIATION_CANCELLED',
            `an aborted startInstance must reject with the signal's reason; it rejected with ${textOf(error).split('\n').slice(0, 2).join(': ')}`,
          );
        }
        const direct = h.directStarts.at(-1);
        if (direct) await h.stopDirect(direct);
      }
      const worker = await h.worker({ provider: h.provider() });
      const substantiation = worker.substantiate();
      substantiation.catch(() => {});
      await sleep(100);
      await worker.insubstantiate();
      const result = await settleWithin(substantiation, 30_000, 'substantiate() cancelled by insubstantiate()');
      if (result.status === 'rejected') {
        assert.ok(
          latentErrorCode(result.reason) === 'SUBSTANTIATION_CANCELLED',
          `substantiate() cancelled by a stop must reject with SubstantiationCancelledError, got ${textOf(result.reason).split('\n')[0]}`,
        );
      } else {
        await worker.insubstantiate();
      }
      await worker.shutdown();
    },
  },
  {
    id: 'stop-idempotent',
    title: 'stopInstance succeeds when nothing was started, and a second stop of a stopped instance succeeds',
    rule: 'stopInstance must succeed when the instance is already gone or absent',
    async run(h) {
      const server = await h.server();
      const provider = h.provider();
      const never = h.request(h.workerName(), h.password(), { host: h.masterHost, masterPort: server.port });
      for (const fast of [false, true]) {
        await provider
          .stopInstance({ request: never }, { fast, signal: new AbortController().signal })
          .catch((error: Error) => {
            assert.fail(
              `stopInstance without an instance (nothing was started, fast: ${fast}) must succeed; it threw ${error.name}: ${error.message}`,
            );
          });
      }
      const name = h.workerName();
      const request = h.request(name, h.password(), { host: h.masterHost, masterPort: server.port });
      server.expectWorker(name, request.password);
      const start = await h.startDirect(provider, request);
      await expectAttached(h, server, name);
      await h.stopDirect(start);
      for (const [label, target] of [
        ['with the same instance', start.instance ? { request, instance: start.instance } : { request }],
        ['without an instance', { request }],
      ] as const) {
        await provider
          .stopInstance(target, { fast: false, signal: new AbortController().signal })
          .catch((error: Error) => {
            assert.fail(
              `a second stopInstance (${label}) after the instance was stopped must succeed; it threw ${error.name}: ${error.message}`,
            );
          });
      }
      const idle = await h.worker({ provider: h.provider() });
      await idle.insubstantiate();
      await idle.shutdown();
      await idle.shutdown();
    },
  },
  {
    id: 'parallel-isolation',
    title: 'two workers started in parallel attach with their own names and passwords, and stop independently',
    rule: 'instance naming and labels (one instance per worker)',
    async run(h) {
      const server = await h.server();
      const first = await h.worker({ provider: h.provider() });
      const second = await h.worker({ provider: h.provider() });
      await Promise.all([substantiateOrFail(h, first), substantiateOrFail(h, second)]);
      await expectAttached(
        h,
        server,
        first.name,
        expectedEnvironment(first.name, first.password, { host: h.masterHost, masterPort: server.port }),
      );
      await expectAttached(
        h,
        server,
        second.name,
        expectedEnvironment(second.name, second.password, { host: h.masterHost, masterPort: server.port }),
      );
      assert.equal(server.records.filter((r) => r.accepted).length, 2, 'exactly two worker connections expected');
      await first.insubstantiate();
      await server.waitForDetach(first.name, { timeoutMs: (h.options.cleanupTimeout ?? 20) * 1000 });
      await sleep(500);
      const still = server.records.find((r) => r.workerName === second.name && r.accepted);
      assert.equal(still?.detachedAt, undefined, `stopping worker ${first.name} also stopped worker ${second.name}`);
      const remaining = await h.options.backend.listInstances(
        { masterId: h.masterId },
        { signal: AbortSignal.timeout(30_000) },
      );
      assert.ok(remaining.length >= 1, `stopping ${first.name} removed ${second.name}'s instance too`);
      await second.insubstantiate();
    },
  },
  {
    id: 'crash-before-attach',
    capability: 'healthCheck',
    title:
      'checkInstance reports a running instance healthy, and one that died before attaching unhealthy with its output',
    rule: 'checkInstance (capability healthCheck)',
    async run(h) {
      const server = await h.server();
      const healthyProvider = h.provider();
      const name = h.workerName();
      const request = h.request(name, h.password(), { host: h.masterHost, masterPort: server.port });
      server.expectWorker(name, request.password);
      const start = await h.startDirect(healthyProvider, request);
      await expectAttached(h, server, name);
      assert.ok(start.instance, 'startInstance resolved without an instance');
      const health = await healthyProvider.checkInstance?.(start.instance, { signal: AbortSignal.timeout(30_000) });
      assert.deepEqual(health, { healthy: true }, 'checkInstance must report a running, attached instance healthy');
      await h.stopDirect(start);

      const crashing = h.provider('crashing');
      const crashName = h.workerName();
      const crashRequest = h.request(crashName, h.password(), { host: h.masterHost, masterPort: server.port });
      const crashed = await h.startDirect(crashing, crashRequest);
      assert.ok(crashed.instance, 'startInstance resolved without an instance');
      const deadline = Date.now() + h.attachTimeoutMs;
      let last: unknown;
      for (;;) {
        last = await crashing
          .checkInstance?.(crashed.instance, { signal: AbortSignal.timeout(30_000) })
          .catch((error: Error) => ({
            healthy: false,
            message: error.message,
          }));
        if ((last as { healthy?: boolean })?.healthy === false) break;
        assert.ok(
          Date.now() < deadline,
          `checkInstance still reports a crashed instance healthy after ${h.attachTimeoutMs} ms`,
        );
        await sleep(500);
      }
      assert.match(
        (last as { message: string }).message,
        new RegExp(PROBE_CRASH_MESSAGE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
        'the unhealthy message must carry what the instance printed before it died',
      );
      await h.stopDirect(crashed);

      const worker = await h.worker({ provider: h.provider('crashing'), checkInstanceInterval: 1 });
      const result = await settleWithin(
        worker.substantiate(),
        h.attachTimeoutMs,
        'substantiate() of a crashing worker',
      );
      assert.equal(result.status, 'rejected');
      const error = (result as PromiseRejectedResult).reason as Error;
      assert.ok(
        latentErrorCode(error) === 'WORKER_CRASHED',
        `a crash before attaching must fail fast with WorkerCrashedError, got ${error.name}: ${error.message}`,
      );
      assert.ok(error.message.includes(PROBE_CRASH_MESSAGE), 'WorkerCrashedError must carry the instance output');
      await worker.shutdown();
    },
  },
  {
    id: 'per-build-settings',
    capability: 'perBuildSettings',
    title:
      'per-build renderable settings render from the build properties, reach the backend, and decide compatibility',
    rule: 'renderStartSettings (capability perBuildSettings)',
    async run(h) {
      const scenario = h.options.backend.perBuild;
      assert.ok(
        scenario,
        `the provider declares perBuildSettings: give the backend a perBuild scenario (ConformanceBackend.perBuild)`,
      );
      const provider = h.provider('per-build');
      const render = (values: Readonly<Record<string, unknown>>) =>
        provider.renderStartSettings?.(propertiesOf(values));
      const rendered = await render(scenario.properties);
      assert.deepEqual(
        await render(scenario.properties),
        rendered,
        'rendering the same properties twice must give equal settings',
      );
      assert.deepEqual(
        JSON.parse(JSON.stringify(rendered ?? null)),
        rendered ?? null,
        'rendered settings must be JSON-comparable',
      );
      assert.ok(
        JSON.stringify(rendered).includes(scenario.renderedValue),
        `renderStartSettings must substitute the build properties: ${JSON.stringify(scenario.renderedValue)} is missing from ${JSON.stringify(rendered)}`,
      );
      assert.notDeepEqual(
        await render(scenario.otherProperties),
        rendered,
        'different build properties must render different settings',
      );

      const server = await h.server();
      const worker = await h.worker({ provider });
      await substantiateOrFail(h, worker, propertiesOf(scenario.properties));
      await expectAttached(h, server, worker.name);
      assert.equal(
        await worker.isCompatibleWithBuild(propertiesOf(scenario.properties)),
        true,
        'the running instance must accept a build with the same properties',
      );
      assert.equal(
        await worker.isCompatibleWithBuild(propertiesOf(scenario.otherProperties)),
        false,
        'the running instance must refuse a build whose settings render differently',
      );
      await worker.insubstantiate();
    },
  },
  {
    id: 'orphan-reaping',
    capability: 'orphanReaping',
    title: 'listOrphans finds what a crashed master left (and only its own), reapOrphans removes it',
    rule: 'listOrphans / reapOrphans and owner labels (capability orphanReaping)',
    async run(h) {
      const server = await h.server();
      const name = h.workerName();
      const request = h.request(name, h.password(), { host: h.masterHost, masterPort: server.port });
      server.expectWorker(name, request.password);
      await h.startDirect(h.provider(), request);
      await expectAttached(h, server, name);
      // The master "crashes": nothing stops the instance. A restarted master has a new provider.
      const restarted = h.provider();
      const signal = AbortSignal.timeout(60_000);
      const orphans = (await restarted.listOrphans?.({ masterId: h.masterId }, { signal })) ?? [];
      assert.ok(
        orphans.length >= 1,
        'listOrphans of a fresh provider must find the instance the crashed master left (it must ask the backend, by labels)',
      );
      for (const orphan of orphans) {
        assert.equal(orphan.masterId, h.masterId, 'listOrphans returned an instance of another master');
        assert.equal(orphan.workerName, name, 'listOrphans must report the worker name from the labels');
      }
      assert.deepEqual(
        await restarted.listOrphans?.({ masterId: `${h.masterId}-other` }, { signal }),
        [],
        'listOrphans must filter by master',
      );
      assert.deepEqual(
        await restarted.listOrphans?.({ masterId: h.masterId, workerName: `${name}-other` }, { signal }),
        [],
        'listOrphans must filter by worker name',
      );
      const result = await restarted.reapOrphans?.({ masterId: h.masterId }, { signal });
      assert.ok(result, 'reapOrphans returned nothing');
      assert.deepEqual(result.failed, [], `reapOrphans failed to remove: ${JSON.stringify(result.failed)}`);
      assert.ok(result.removed.length >= 1, 'reapOrphans must report what it removed');
      for (const start of h.directStarts) start.stopped = true;
      await server.waitForDetach(name, { timeoutMs: (h.options.cleanupTimeout ?? 20) * 1000 }).catch(() => {
        assert.fail('the reaped instance still runs: its worker connection did not close');
      });
    },
  },
  {
    id: 'startup-logs',
    capability: 'startupLogs',
    title: "the starting instance's output reaches request.events.log",
    rule: 'StartInstanceRequest.events (capability startupLogs)',
    async run(h) {
      const { start } = await startAttachedDirect(h);
      const deadline = Date.now() + 10_000;
      while (start.events.lines.length === 0 && Date.now() < deadline) await sleep(200);
      assert.ok(
        start.events.lines.length > 0,
        'a provider declaring startupLogs must report the instance output through request.events.log',
      );
      for (const line of start.events.lines) assert.equal(typeof line, 'string');
      await h.stopDirect(start);
    },
  },
  {
    id: 'secrets-never-leak',
    title: 'the worker password never appears in events, logs or errors',
    rule: 'secrets are redacted everywhere',
    async run(h) {
      const server = await h.server();
      const password = h.password('Secret');
      const provider = h.provider();
      const name = h.workerName();
      const request = h.request(name, password, { host: h.masterHost, masterPort: server.port });
      server.expectWorker(name, password);
      const start = await h.startDirect(provider, request);
      await expectAttached(h, server, name);
      await sleep(500);
      await h.stopDirect(start);
      const failure = h.options.backend.startFailure;
      const failing = h.request(h.workerName(), password, { host: h.masterHost, masterPort: server.port });
      const failed = await h.startDirect(h.providerWith(failure.settings), failing).then(
        () => undefined,
        (error: unknown) => error,
      );
      const failedStart = h.directStarts.at(-1);
      if (failedStart) await h.stopDirect(failedStart);
      const worker = await h.worker({ provider: h.provider(), password });
      await substantiateOrFail(h, worker);
      await worker.insubstantiate();
      const failingWorker = await h.worker({ provider: h.providerWith(failure.settings), password });
      const workerFailure = await failingWorker.substantiate().then(
        () => undefined,
        (error: unknown) => error,
      );
      await failingWorker.shutdown();
      await worker.shutdown();
      const places: [string, unknown][] = [
        ['request.events.log lines', h.directStarts.flatMap((s) => s.events.lines)],
        ['request.events.progress', h.directStarts.flatMap((s) => s.events.progress)],
        ['the logger given to the provider (and the workers)', h.logged],
        ['the worker events', h.emitted],
        ['the error of a failed start', failed],
        ['the error of a failed substantiation', workerFailure],
      ];
      if (provider.capabilities.orphanReaping && provider.listOrphans) {
        places.push([
          'listOrphans',
          await provider.listOrphans({ masterId: h.masterId }, { signal: AbortSignal.timeout(30_000) }),
        ]);
      }
      for (const [where, value] of places) {
        assert.ok(!textOf(value).includes(password), `the worker password appears in ${where}`);
      }
    },
  },
  ...ABORT_CASES,
  ...INSTANCE_CASES,
  ...HEALTH_DETAILS_CASES,
];
