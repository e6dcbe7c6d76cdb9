// A stand-in master for the orphan-reaping test: starts workers' containers with the Docker
// provider, prints their ids, and waits to be killed (kill -9, so it never stops them).
// Usage: tsx crashing-master.ts <masterId> <image> <workerName>...
import { createDockerProvider } from '../docker-provider.js';
import { startRequest } from '../test-support.js';

const [masterId, image, ...workerNames] = process.argv.slice(2);
if (!masterId || !image || workerNames.length === 0) {
  console.error('usage: crashing-master.ts <masterId> <image> <workerName>...');
  process.exit(2);
}
const provider = createDockerProvider({ image, command: ['sleep', '600'] });
const instances = await Promise.all(
  workerNames.map((workerName) =>
    provider.startInstance(startRequest({ workerName, masterId }).request, { signal: AbortSignal.timeout(120_000) }),
  ),
);
console.log(`started ${instances.map((instance) => instance.id).join(' ')}`);
setInterval(() => {}, 60_000);
