export type { WorkerPoolEvents } from './events.js';
export type { PoolBackend, WorkerFactory, WorkerFactoryContext, WorkerPoolOptions } from './options.js';
export type { BackendStats, WorkerPoolStats } from './stats.js';
export {
  type AcquireOptions,
  type CloseOptions,
  type ReleaseOptions,
  type WorkerLease,
  WorkerPool,
} from './worker-pool.js';
