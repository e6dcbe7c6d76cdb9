import { type InstanceProgress, OWNER_LABELS, Properties, type StartInstanceRequest } from '@latentci/core';

export interface RecordedEvents {
  readonly logs: string[];
  readonly progress: InstanceProgress[];
}

/**
 * A start request as the core would pass it, for worker `bot` of master `fake:/master` (hash
 * `87de7e`), with Buildbot's test environment: master `master`, port 1234, password `pass-word-1`.
 */
export function startRequest(
  overrides: {
    workerName?: string;
    masterId?: string;
    masterHost?: string;
    masterPort?: number;
    password?: string;
    instanceName?: string;
  } = {},
): StartInstanceRequest & { readonly recorded: RecordedEvents } {
  const workerName = overrides.workerName ?? 'bot';
  const masterId = overrides.masterId ?? 'fake:/master';
  const password = overrides.password ?? 'pass-word-1';
  const host = overrides.masterHost ?? 'master';
  const port = overrides.masterPort ?? 1234;
  const recorded: RecordedEvents = { logs: [], progress: [] };
  return {
    workerName,
    password,
    master: { host, port },
    environment: {
      BUILDMASTER: host,
      BUILDMASTER_PORT: String(port),
      BUILDMASTER_PROTOCOL: 'pb',
      WORKERNAME: workerName,
      WORKERPASS: password,
    },
    properties: new Properties(),
    owner: { masterId, masterHash: '87de7e', workerName },
    instanceName: overrides.instanceName ?? `buildbot-${workerName.replaceAll('_', '-')}-87de7e`,
    labels: { [OWNER_LABELS.managed]: 'true', [OWNER_LABELS.master]: masterId, [OWNER_LABELS.worker]: workerName },
    events: {
      log: (line) => void recorded.logs.push(line),
      progress: (progress) => void recorded.progress.push(progress),
    },
    recorded,
  };
}
