import { startWorkerServer } from '@latentci/worker-protocol';
import { startRealWorker } from '@latentci/worker-protocol/testing';

// The master side: listen for PB on a free port of 127.0.0.1 and register one worker.
const server = await startWorkerServer({ pb: { host: '127.0.0.1', port: 0 } });
server.addWorker({ name: 'example-worker', password: 'example-password' });
const address = server.addresses.pb;
if (!address) throw new Error('the server does not listen for PB');

// A real buildbot-worker (Debian's 3.7) in a temporary base directory connects to it.
const worker = await startRealWorker({ ...address, name: 'example-worker', password: 'example-password' });

// Once it logged in: what it told about itself, then a shell command with its output.
const connection = await server.waitForWorker('example-worker', { signal: AbortSignal.timeout(60_000) });
export const version = connection.info.version;
export const result = await connection.runShell({ command: ['echo', 'hello'] });

// A graceful shutdown: the worker process exits.
await connection.shutdown();
export const exit = await worker.exited;

await server.close();
await worker.stop();
