export {
  createInMemoryProvider,
  type InMemoryInstance,
  InMemoryProvider,
  type InMemoryProviderOptions,
} from '@latentci/core/testing';
export * from './attach/attach-latent-worker.js';
export * from './attach/attach-protocol.js';
export * from './attach/attach-server.js';
export * from './attach/login-refusals.js';
export * from './attach/probe-client.js';
export * from './attach/protocol-front.js';
export * from './attach/real-worker-attach-server.js';
export * from './buildbot-worker/buildbot-worker-image.js';
export { CONFORMANCE_CASES, type ConformanceCase } from './conformance/cases.js';
export {
  applicableCases,
  type CollectedCase,
  collectConformanceCases,
  conformanceSuite,
} from './conformance/conformance-suite.js';
export {
  type InMemoryConformanceOptions,
  type InMemorySettings,
  inMemoryConformance,
} from './conformance/in-memory-backend.js';
export * from './conformance/options.js';
export * from './probe/probe-image.js';
export * from './probe/probe-script.js';
export {
  type RecordedEvents,
  type RecordingStartRequestOptions,
  recordingStartRequest,
} from './provider-testing/recording-start-request.js';
export { TEST_KIT_VERSION } from './version.js';
