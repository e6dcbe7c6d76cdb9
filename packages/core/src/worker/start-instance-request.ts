import {
  type InstanceEventSink,
  type MasterAddress,
  OWNER_LABELS,
  type StartInstanceRequest,
} from '../contract/provider.js';
import { DEFAULT_MASTER_PORT } from '../lifecycle/options.js';
import { Properties } from '../renderables/properties.js';
import { workerEnvironment } from './environment.js';
import { containerName, masterHash } from './naming.js';

export interface StartInstanceRequestOptions {
  readonly workerName: string;
  /** `WORKERPASS`. */
  readonly password: string;
  /** Identifies the master: hashed into the instance name, put in the owner labels. */
  readonly masterId: string;
  /** Where the worker connects (a port here wins over `masterPort`). */
  readonly master: MasterAddress;
  /** Default 9989. */
  readonly masterPort?: number;
  /** Default `pb`. */
  readonly masterProtocol?: string;
  /** Default: empty properties. */
  readonly properties?: Properties;
  /** Default: discards instance output and progress. */
  readonly events?: InstanceEventSink;
}

/**
 * The start request exactly as `LatentWorker` builds it: Buildbot's instance name
 * (`buildbot-<worker>-<masterhash>`), the five environment variables, the owner and its labels.
 * Provider tests use it to call `startInstance` directly.
 */
export function createStartInstanceRequest(options: StartInstanceRequestOptions): StartInstanceRequest {
  const { workerName, password, masterId, master } = options;
  const hash = masterHash(masterId);
  return {
    workerName,
    password,
    master,
    environment: workerEnvironment({
      master,
      masterPort: options.masterPort ?? DEFAULT_MASTER_PORT,
      ...(options.masterProtocol === undefined ? {} : { masterProtocol: options.masterProtocol }),
      workerName,
      password,
    }),
    properties: options.properties ?? new Properties(),
    owner: { masterId, masterHash: hash, workerName },
    instanceName: containerName(workerName, hash),
    labels: {
      [OWNER_LABELS.managed]: 'true',
      [OWNER_LABELS.master]: masterId,
      [OWNER_LABELS.worker]: workerName,
    },
    events: options.events ?? { log() {}, progress() {} },
  };
}
