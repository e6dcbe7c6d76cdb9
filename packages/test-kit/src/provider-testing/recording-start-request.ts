import { createStartInstanceRequest, type InstanceProgress, type StartInstanceRequest } from '@latentci/core';

/** What a start request's `events` sink received. */
export interface RecordedEvents {
  readonly logs: string[];
  readonly progress: InstanceProgress[];
}

export interface RecordingStartRequestOptions {
  readonly workerName?: string;
  readonly masterId?: string;
  readonly masterHost?: string;
  readonly masterPort?: number;
  readonly password?: string;
  readonly instanceName?: string;
}

/**
 * A start request as the core would pass it, for worker `bot` of master `fake:/master` (hash
 * `87de7e`), with Buildbot's test environment (master `master`, port 1234, password `pass-word-1`),
 * whose events are recorded in `recorded`.
 */
export function recordingStartRequest(
  overrides: RecordingStartRequestOptions = {},
): StartInstanceRequest & { readonly recorded: RecordedEvents } {
  const recorded: RecordedEvents = { logs: [], progress: [] };
  const request = createStartInstanceRequest({
    workerName: overrides.workerName ?? 'bot',
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
