import { createStartInstanceRequest, type InstanceProgress, type StartInstanceRequest } from '@latentci/core';

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
  const recorded: RecordedEvents = { logs: [], progress: [] };
  const workerName = overrides.workerName ?? 'bot';
  const request = createStartInstanceRequest({
    workerName,
    password: overrides.password ?? 'pass-word-1',
    masterId: overrides.masterId ?? 'fake:/master',
    master: { host: overrides.masterHost ?? 'master', port: overrides.masterPort ?? 1234 },
    events: {
      log: (line) => void recorded.logs.push(line),
      progress: (progress) => void recorded.progress.push(progress),
    },
  });
  return {
    ...request,
    ...(overrides.instanceName === undefined ? {} : { instanceName: overrides.instanceName }),
    recorded,
  };
}
