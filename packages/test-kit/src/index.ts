export * from './attach/attach-latent-worker.js';
export * from './attach/attach-protocol.js';
export * from './attach/attach-server.js';
export * from './probe/probe-image.js';
export * from './probe/probe-script.js';
export { TEST_KIT_VERSION } from './version.js';
