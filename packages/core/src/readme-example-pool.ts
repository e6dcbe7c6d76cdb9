import { LatentWorker, WorkerPool } from '@latentci/core';
import { InMemoryProvider } from '@latentci/core/testing';

// Any provider's worker factory fits (dockerLatentWorker, hyperLatentWorker, marathonLatentWorker…):
// here the in-memory provider, whose workers attach on their own. A real master calls
// worker.attached(connection) when the worker logs in with its name and password.
const pool = new WorkerPool({
  namePrefix: 'linux', // workers linux-1 … linux-4: register these names with the master
  idle: 2, // attached workers kept ready
  max: 4, // all workers of the pool, in any state
  createWorker: (name, { password }) => {
    const provider = new InMemoryProvider();
    const worker = new LatentWorker({
      name,
      password,
      provider,
      masterId: 'ci.example.org',
      masterFQDN: 'ci.example.org:9989',
    });
    provider.autoAttach(worker);
    return worker;
  },
});
export const workerNames = pool.workerNames;

await pool.whenWarm(); // two workers started and attached before anyone asks
const lease = await pool.acquire({ signal: AbortSignal.timeout(60_000) }); // one of them, at once
export const leased = { name: lease.name, warm: lease.warm, attached: lease.worker.substantiated };
// … run the build through lease.connection (what the master passed to attached()) …
await lease.release({ result: 'SUCCESS' }); // destroyed; a fresh worker warms up (reuse: false)

await pool.whenWarm();
export const stats = pool.stats();
await pool.close(); // every instance stopped: nothing left running
export const afterClose = pool.stats().total;
