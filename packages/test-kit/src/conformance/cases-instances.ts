import assert from 'node:assert/strict';
import type { AttachServer } from '../attach/attach-server.js';
import { startAttachedDirect } from './case-helpers.js';
import type { ConformanceCase } from './cases.js';
import { waitUntilGone } from './cases-abort.js';
import { sleep } from './harness.js';

/** How long the one-instance case watches for a second instance or connection after the attach. */
const SECOND_INSTANCE_WINDOW_MS = 1500;
/** The longest the no-restart case watches for a worker coming back (Swarm's default restart delay is 5 s). */
const RESTART_WINDOW_MAX_MS = 8000;

/** What the attach server saw from `name`: accepted and refused attempts. */
function attemptsOf(server: AttachServer, name: string): { total: number; accepted: number; refused: number } {
  const records = server.records.filter((record) => record.workerName === name);
  const accepted = records.filter((record) => record.accepted).length;
  return { total: records.length, accepted, refused: records.length - accepted };
}

export const INSTANCE_CASES: readonly ConformanceCase[] = [
  {
    id: 'stop-without-instance',
    title: 'stopInstance without an instance removes what a start created under request.instanceName',
    rule: 'stopInstance without an instance (after a start that failed or was aborted once the backend had created something)',
    async run(h) {
      // The worker is expected, so it stays connected and its instance alive (a refused probe
      // exits, and a backend that forgets exited instances would then list nothing).
      const { name, request, start } = await startAttachedDirect(h);
      const provider = start.provider;
      // The backend's listing may lag behind the start (a process not yet exec'd, a scheduler's cache).
      const deadline = Date.now() + h.attachTimeoutMs;
      let listed: readonly unknown[] = [];
      for (;;) {
        listed = await h.options.backend.listInstances(
          { masterId: h.masterId, workerName: name },
          { signal: AbortSignal.timeout(30_000) },
        );
        if (listed.length > 0 || Date.now() > deadline) break;
        await sleep(200);
      }
      assert.ok(
        listed.length > 0,
        `[leak check] backend.listInstances({ masterId, workerName: "${name}" }) does not list the instance startInstance created (within attachTimeout): the suite cannot check for leftovers (list the backend's instances by their owner labels)`,
      );
      // The core calls stop this way after a start that failed or was aborted: it never saw an instance.
      start.stopped = true;
      await provider.stopInstance({ request }, { fast: false, signal: AbortSignal.timeout(h.hookTimeoutMs) });
      const left = await waitUntilGone(h, name);
      assert.deepEqual(
        left,
        [],
        `[stopInstance without an instance] after a start created "${request.instanceName}", stopInstance({ request }) without the instance left ${left.join(', ')} on the backend: a start can fail or be aborted after the backend created its instance, and the core then stops without one. Remove whatever is named request.instanceName (or labelled for request.workerName); doing nothing is only right when nothing exists.`,
      );
    },
  },
  {
    id: 'one-instance-per-worker',
    title: 'one start makes exactly one instance on the backend and one connection attempt from its worker',
    rule: 'startInstance starts one instance (replicas: 1)',
    async run(h) {
      const { server, name, start } = await startAttachedDirect(h);
      await sleep(SECOND_INSTANCE_WINDOW_MS);
      const owner = { masterId: h.masterId, workerName: name };
      const signal = AbortSignal.timeout(30_000);
      const observer = h.provider();
      const orphans =
        observer.capabilities.orphanReaping && observer.listOrphans
          ? await observer.listOrphans(owner, { signal })
          : [];
      const attempts = attemptsOf(server, name);
      const problems: string[] = [];
      if (observer.capabilities.orphanReaping && orphans.length !== 1) {
        problems.push(`listOrphans reports ${orphans.length} (${orphans.map((o) => o.name ?? o.id).join(', ')})`);
      }
      if (attempts.total !== 1) {
        problems.push(
          `the attach server saw ${attempts.total} connection attempts from "${name}" (${attempts.accepted} accepted, ${attempts.refused} refused)`,
        );
      }
      assert.deepEqual(
        problems,
        [],
        `[one instance per worker] one start of worker "${name}": ${problems.join('; ')}. A start must create exactly one instance (a service or deployment with replicas: 1; one task, one pod): a second worker with the same name is refused by the master or takes its builds.`,
      );
      await h.stopDirect(start);
    },
  },
  {
    id: 'no-restart-after-exit',
    title: 'an instance whose worker exited does not come back (no restart policy)',
    rule: 'one instance per start: the backend must not restart a finished or crashed worker',
    async run(h) {
      const { server, name, start } = await startAttachedDirect(h);
      // The worker exits as a finished worker does (the probe when its connection closes, a Buildbot
      // worker when asked to shut down).
      await server.disconnect(name);
      const windowMs = Math.min(h.attachTimeoutMs, RESTART_WINDOW_MAX_MS);
      const deadline = Date.now() + windowMs;
      while (Date.now() < deadline && attemptsOf(server, name).total === 1) await sleep(100);
      const attempts = attemptsOf(server, name);
      assert.equal(
        attempts.total,
        1,
        `[no restart] the worker of "${name}" exited (the master closed its connection and the probe exits like a finished worker), and the backend started it again: the attach server saw ${attempts.total} connections from "${name}" within ${windowMs / 1000} s. Turn the backend's restart policy off (Docker: restart "no"; Swarm: restart-condition none; Kubernetes: a Pod with restartPolicy Never; Marathon: a one-off task): an instance must not come back after its worker exited.`,
      );
      await h.stopDirect(start);
    },
  },
];
