import { simulateInMemoryWorkers, tryWorker } from '@latentci/cli';
import { createInMemoryProvider } from '@latentci/core/testing';

// The in-memory reference provider; each of its instances runs a simulated worker that connects
// to the master address over TCP and logs in with the credentials latentci gave it.
const provider = createInMemoryProvider();
simulateInMemoryWorkers(provider);

// What `latentci try` does, from code: start one worker, act as its master on a free port of
// 127.0.0.1, report what happened, and remove the instance.
const result = await tryWorker(
  { provider, worker: { name: 'readme-worker', password: 'readme-secret-password' } },
  { master: '127.0.0.1:0', timeoutSeconds: 10 },
);

console.log(`${result.outcome} (exit code ${result.exitCode}): ${result.summary}`);

// attached (exit code 0): the worker reached the master at 127.0.0.1:… and authenticated: …

export { provider, result };
