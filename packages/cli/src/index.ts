export * from './cli-errors.js';
export { type LoadWorkerConfigOptions, loadWorkerConfig } from './config/load-config.js';
export { validateWorkerConfig } from './config/validate-config.js';
export * from './config/worker-config.js';
export { type Diagnosis, diagnose, type TryFacts, type TryOutcome } from './diagnosis.js';
export { EXIT_CODES, type ExitCode } from './exit-codes.js';
export {
  type SimulatableProvider,
  type SimulatedInstance,
  type SimulateWorkersOptions,
  simulateInMemoryWorkers,
} from './in-memory-workers.js';
export { type InstanceOptions, type InstanceSource, listInstances, reapInstances } from './instances.js';
export { createHumanReporter, createJsonReporter, type HumanReporterOptions } from './output/human-reporter.js';
export type { PoolEvent, PoolLoad, PoolOutcome, PoolResult, PoolSnapshot } from './pool-events.js';
export { type PoolWorkersOptions, poolWorkers } from './pool-workers.js';
export { loadProvider, type ProviderFactory } from './provider/load-provider.js';
export { type CliIo, runCli } from './run-cli.js';
export type { TryEvent, TryResult } from './try-events.js';
export { DEFAULT_TRY_TIMEOUT, type TryWorkerOptions, tryWorker } from './try-worker.js';
export { CLI_VERSION } from './version.js';
