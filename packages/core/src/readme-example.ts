import {
  containerName,
  generateWorkerPassword,
  Interpolate,
  masterHash,
  Properties,
  Property,
  parseMasterAddress,
  render,
  workerEnvironment,
} from '@latentci/core';

// A build's properties: every value with the source that set it, plus what the other
// selectors read (source stamps for %(src:…)s, secrets for %(secret:…)s).
const properties = new Properties({
  sourceStamps: [{ codebase: 'app', branch: 'main', revision: 'a1b2c3d' }],
  secrets: { get: (name) => (name === 'registry_token' ? 'example-token' : undefined) },
});
properties.setProperty('buildername', 'linux_x86_64', 'Builder');
properties.setProperty('buildnumber', 42, 'Build');

// Renderables use Buildbot's grammar and print values the way Python does.
export const settings = await render(
  {
    image: new Interpolate('registry.example.com/ci:%(src:app:branch)s'),
    name: new Interpolate('%s-%05d', new Property('buildername'), new Property('buildnumber')),
    cache: new Interpolate('/cache/%(prop:cache_dir:-shared)s'),
    login: new Interpolate('--password=%(secret:registry_token)s'),
    flags: new Interpolate('%(prop:buildnumber)s %(prop:debug:#?|--debug|--quiet)s'),
  },
  properties,
);

// A rendered secret can be taken out of any text before it is logged.
export const logLine = properties.cleanupTextFromSecrets(`docker login ${settings.login}`);

// The worker environment, from Buildbot's masterFQDN: the port given there wins over masterPort.
const master = parseMasterAddress('ci-master.example.com:19989');
export const environment = workerEnvironment({
  master,
  masterPort: 9989,
  workerName: 'linux_x86_64',
  password: generateWorkerPassword(),
});
export const instanceName = containerName('linux_x86_64', masterHash('ci-master:/srv/buildbot'));
