export {
  type ExitStatus,
  type RealWorker,
  type RealWorkerOptions,
  startRealWorker,
} from './testing/real-worker.js';
