/**
 * `@latentci/core/testing`: the reference in-memory provider and a manual clock, for testing
 * masters and providers without a backend and without waiting for real time.
 */

export { enableSecretPublishing } from './diagnostics/channels.js';
export {
  type AttachTarget,
  createInMemoryProvider,
  type HeldCall,
  type InMemoryInstance,
  InMemoryProvider,
  type InMemoryProviderOptions,
  type StartRecord,
} from './testing/in-memory-provider.js';
export { type ManualClock, manualClock, settle } from './testing/manual-clock.js';
export { type LogRecord, type RecordingLogger, recordingLogger } from './testing/recording-logger.js';
