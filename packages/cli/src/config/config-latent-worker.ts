import { LatentWorker, type Provider, type Redactor } from '@latentci/core';
import { parseHostPort } from '../listen-address.js';
import {
  DEFAULT_CLI_CHECK_INTERVAL,
  DEFAULT_MASTER_HOST,
  DEFAULT_MASTER_ID,
  DEFAULT_MASTER_PORT,
  type WorkerSection,
} from './worker-config.js';

/**
 * Where the CLI listens as the master and what the workers are told: `--master` when given, else
 * `worker.masterFQDN` (default 172.17.0.1), with `worker.masterPort` (default 9989) when the
 * address has no port.
 *
 * @throws UsageError naming `--master` or `worker.masterFQDN` for an address that does not parse.
 */
export function masterTarget(worker: WorkerSection, master: string | undefined): { host: string; port: number } {
  const text = master ?? worker.masterFQDN ?? DEFAULT_MASTER_HOST;
  const parsed = parseHostPort(text, master === undefined ? 'worker.masterFQDN' : '--master');
  return { host: parsed.host, port: parsed.port ?? worker.masterPort ?? DEFAULT_MASTER_PORT };
}

/** What a CLI command decides itself about a worker it starts from a config's `worker` section. */
export interface ConfigLatentWorkerOptions {
  /** Default: `worker.name`. */
  readonly name?: string | undefined;
  /** Default: `worker.password` (a random one when it has none). */
  readonly password?: string | undefined;
  readonly provider: Provider;
  /** `host:port` the worker is told the master is at (where the CLI listens). */
  readonly masterFQDN: string;
  readonly missingTimeout: number;
  readonly stopTimeout: number;
  readonly redactor?: Redactor | undefined;
}

/** The `LatentWorker` a config's `worker` section describes, with the CLI's defaults (`masterId` latentci-cli, health checks every second). */
export function configLatentWorker(worker: WorkerSection, options: ConfigLatentWorkerOptions): LatentWorker {
  return new LatentWorker({
    name: options.name ?? worker.name,
    password: options.password ?? worker.password,
    provider: options.provider,
    masterId: worker.masterId ?? DEFAULT_MASTER_ID,
    masterFQDN: options.masterFQDN,
    masterProtocol: worker.masterProtocol,
    missingTimeout: options.missingTimeout,
    checkInstanceInterval: worker.checkInstanceInterval ?? DEFAULT_CLI_CHECK_INTERVAL,
    buildWaitTimeout: worker.buildWaitTimeout ?? 0,
    stopTimeout: options.stopTimeout,
    maxBuilds: worker.maxBuilds,
    properties: worker.properties,
    ...(options.redactor === undefined ? {} : { redactor: options.redactor }),
  });
}
