import { randomBytes } from 'node:crypto';
import { createStartInstanceRequest, type StartInstanceRequest } from '@latentci/core';

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
  const logLines: string[] = [];
  const request = createStartInstanceRequest({
    workerName: options.workerName,
    password: options.password ?? randomBytes(10).toString('hex'),
    masterId: options.masterId ?? `hyper-tests-${randomBytes(3).toString('hex')}`,
    master: options.master ?? { host: '172.17.0.1', port: 9989 },
    events: { log: (line) => logLines.push(line), progress: () => {} },
  });
  return { ...request, environment: { ...request.environment, ...options.extraEnvironment }, logLines };
}
