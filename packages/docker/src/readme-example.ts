import { dockerLatentWorker } from '@latentci/docker';
import { attachLatentWorker, ensureProbeImage, startAttachServer } from '@latentci/test-kit';

// A stand-in master listening where containers reach the host (172.17.0.1), and a worker image
// that connects back the way buildbot-worker does. In production: your master's worker port, and
// an image such as buildbot/buildbot-worker.
const master = await startAttachServer();
const image = await ensureProbeImage();

const worker = dockerLatentWorker({
  name: 'docker-readme-example',
  masterId: 'latentci-docker-readme-example',
  image,
  masterFQDN: master.masterFQDN,
  volumes: ['/tmp:/scratch:ro'],
  hostconfig: { shm_size: '64m', cap_drop: ['MKNOD'] },
  missingTimeout: 120,
  checkInstanceInterval: 2,
});
const unwire = attachLatentWorker(master, worker);

// Starts a container; resolves once the worker inside it connected back with its name and password.
await worker.substantiate();
export const attached = worker.substantiated;

// One build; with buildWaitTimeout 0 (the default here) the container is stopped and removed when idle.
worker.buildStarted();
worker.buildFinished({ result: 'SUCCESS' });
await worker.shutdown();
unwire();
await master.close();
