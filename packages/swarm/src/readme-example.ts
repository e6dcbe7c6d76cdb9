import { swarmLatentWorker } from '@latentci/swarm';
import { attachLatentWorker, startAttachServer } from '@latentci/test-kit';

// The single-node test swarm of scripts/swarm-cluster.sh, the host address its node reaches, and a
// worker image built on that node (run by its image id: no registry needed on one node). In
// production: your manager (DOCKER_HOST), your master's worker port, and on a multi-node swarm a
// registry reference such as registry.example.org/buildbot-worker:3.7 (pinned to its digest).
const manager = 'unix:///run/latentci-swarm/solo/docker.sock';
const image = process.env.LATENTCI_SWARM_EXAMPLE_IMAGE ?? 'registry.example.org/buildbot-worker:3.7';
const master = await startAttachServer({ host: '10.214.0.1' });

const worker = swarmLatentWorker({
  name: 'swarm-readme-example',
  masterId: 'latentci-swarm-readme-example',
  dockerHost: manager,
  image,
  masterFQDN: master.masterFQDN,
  constraints: ['node.role==manager'],
  resources: { limits: { memory: '256m' }, reservations: { cpus: 0.1 } },
  missingTimeout: 120,
  checkInstanceInterval: 2,
});
const unwire = attachLatentWorker(master, worker);

// Creates a one-replica service; resolves once the worker in its task connected back.
await worker.substantiate();
export const attached = worker.substantiated;

// One build; with buildWaitTimeout 0 the service is removed (and its container gone) when idle.
worker.buildStarted();
worker.buildFinished({ result: 'SUCCESS' });
await worker.shutdown();
unwire();
await master.close();
