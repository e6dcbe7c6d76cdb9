import { Properties } from '@latentci/core';
import { createMarathonProvider, marathonAppDefinition } from '@latentci/marathon';
import { startMarathonSimulator } from '@latentci/marathon/testing';

// The exact app the provider posts for worker "bot" (instance name "buildbot-bot-<masterhash>").
const app = marathonAppDefinition({
  image: 'buildbot/buildbot-worker:master',
  instanceName: 'buildbot-bot-87de7e',
  environment: { BUILDMASTER: 'ci.example.com', BUILDMASTER_PORT: '9989', WORKERNAME: 'bot' },
  marathonExtraConfig: { cpus: 0.5, mem: 512, container: { docker: { network: null } } },
});
console.log(JSON.stringify(app));

// A Marathon simulator (no containers with the virtual runtime) and the provider against it.
const marathon = await startMarathonSimulator({ runtime: 'virtual', deploymentDuration: 20 });
const provider = createMarathonProvider({ marathonUrl: marathon.url, image: 'buildbot/buildbot-worker:master' });
const request = {
  workerName: 'bot',
  password: 'not-a-real-password',
  master: { host: 'ci.example.com', port: 9989 },
  environment: { BUILDMASTER: 'ci.example.com', BUILDMASTER_PORT: '9989', WORKERNAME: 'bot' },
  properties: new Properties(),
  owner: { masterId: 'ci-master', masterHash: '87de7e', workerName: 'bot' },
  instanceName: 'buildbot-bot-87de7e',
  labels: { 'io.latentci.managed': 'true', 'io.latentci.master': 'ci-master', 'io.latentci.worker': 'bot' },
  events: { log: () => {}, progress: () => {} },
};
const signal = new AbortController().signal;
const instance = await provider.startInstance(request, { signal });
console.log(`started ${instance.id}`);
console.log(`healthy: ${(await provider.checkInstance?.(instance, { signal }))?.healthy}`);
await provider.stopInstance({ request, instance }, { fast: false, signal });
console.log(`apps left: ${marathon.apps().length}`);
await marathon.close();
