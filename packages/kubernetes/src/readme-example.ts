import { kubernetesLatentWorker } from '@latentci/kubernetes';
import { startKubernetesSimulator } from '@latentci/kubernetes/testing';
import { attachLatentWorker, ensureProbeImage, startAttachServer } from '@latentci/test-kit';

// A simulated cluster whose Pods run as containers on the local Docker engine, a stand-in master
// listening where containers reach the host (172.17.0.1), and a worker image that connects back
// the way buildbot-worker does. In production: your cluster's kubeconfig, your master, and an
// image such as buildbot/buildbot-worker.
const cluster = await startKubernetesSimulator({ runtime: 'docker' });
const master = await startAttachServer();
const image = await ensureProbeImage();

const worker = kubernetesLatentWorker({
  name: 'kubernetes-readme-example',
  masterId: 'latentci-kubernetes-readme-example',
  masterFQDN: master.masterFQDN,
  kubeConfig: { server: cluster.url },
  namespace: 'default',
  image,
  resources: { requests: { cpu: '100m', memory: '64Mi' } },
  labels: { team: 'ci' },
  missingTimeout: 120,
  checkInstanceInterval: 2,
});
const unwire = attachLatentWorker(master, worker);

// Creates the Pod (and the Secret holding WORKERPASS); resolves once its worker connected back.
await worker.substantiate();
export const attached = worker.substantiated;

// One build; with buildWaitTimeout 0 (the default here) the Pod is deleted when idle.
worker.buildStarted();
worker.buildFinished({ result: 'SUCCESS' });
await worker.shutdown();
export const podsLeft = cluster.pods().length;
unwire();
await master.close();
await cluster.close();
