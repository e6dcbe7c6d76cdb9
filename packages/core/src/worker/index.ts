export { type WorkerEnvironmentOptions, workerEnvironment } from './environment.js';
export {
  parseMasterAddress,
  type ResolveDefaultMasterHostOptions,
  resolveDefaultMasterHost,
} from './master-address.js';
export { containerName, masterHash } from './naming.js';
export { generateWorkerPassword } from './password.js';
export { createStartInstanceRequest, type StartInstanceRequestOptions } from './start-instance-request.js';
