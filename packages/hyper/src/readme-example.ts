import { createHyperProvider, signHyperRequest } from '@latentci/hyper';
import { startHyperSimulator } from '@latentci/hyper/testing';

// Sign a request by hand (the provider signs each of its calls this way).
export const signed = signHyperRequest({
  method: 'GET',
  url: 'https://us-west-1.hyper.sh/v1.23/version',
  accessKey: 'EXAMPLEACCESSKEY',
  secretKey: 'example-secret-key',
  date: new Date('2019-01-14T12:00:00Z'),
});

// Hyper is gone: test against the simulator. It verifies every signature the way Hyper did and
// runs the containers on the local Docker engine. Strict: close() fails if a request did not verify.
const simulator = await startHyperSimulator({
  credentials: { EXAMPLEACCESSKEY: 'example-secret-key' },
  strict: true,
});

const provider = createHyperProvider({
  hyperHost: simulator.url, // for the real service: 'tcp://us-west-1.hyper.sh:443'
  accessKey: 'EXAMPLEACCESSKEY',
  secretKey: 'example-secret-key',
  image: 'buildbot/buildbot-worker:master',
  size: 's3',
});

// A signed call: the containers a crashed master left behind (none here).
export const orphans = await provider.listOrphans?.(
  { masterId: 'example-master' },
  { signal: AbortSignal.timeout(30_000) },
);
export const requests = [...simulator.requests];
await simulator.close();
