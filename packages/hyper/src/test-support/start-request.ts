import { createHash, randomBytes } from 'node:crypto';
import { OWNER_LABELS, Properties, type StartInstanceRequest } from '@latentci/core';

export interface TestStartRequest extends StartInstanceRequest {
  /** Log lines the provider reported through `events.log`. */
  readonly logLines: string[];
}

/**
 * A start request as the core builds it: Buildbot's instance name, the five environment variables,
 * the owner labels. For provider tests that drive the provider without a `LatentWorker`.
 */
export function testStartRequest(options: {
  readonly workerName: string;
  readonly masterId?: string;
  readonly master?: { readonly host: string; readonly port: number };
  readonly password?: string;
  readonly extraEnvironment?: Record<string, string>;
}): TestStartRequest {
  const masterId = options.masterId ?? `hyper-tests-${randomBytes(3).toString('hex')}`;
  const masterHash = createHash('sha1').update(masterId).digest('hex').slice(0, 6);
  const master = options.master ?? { host: '172.17.0.1', port: 9989 };
  const password = options.password ?? randomBytes(10).toString('hex');
  const logLines: string[] = [];
  return {
    workerName: options.workerName,
    password,
    master,
    environment: {
      BUILDMASTER: master.host,
      BUILDMASTER_PORT: String(master.port),
      BUILDMASTER_PROTOCOL: 'pb',
      WORKERNAME: options.workerName,
      WORKERPASS: password,
      ...options.extraEnvironment,
    },
    properties: new Properties(),
    owner: { masterId, masterHash, workerName: options.workerName },
    instanceName: `buildbot-${options.workerName}-${masterHash}`.replaceAll('_', '-'),
    labels: {
      [OWNER_LABELS.managed]: 'true',
      [OWNER_LABELS.master]: masterId,
      [OWNER_LABELS.worker]: options.workerName,
    },
    events: { log: (line) => logLines.push(line), progress: () => {} },
    logLines,
  };
}
