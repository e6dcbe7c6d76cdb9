export * from './contract/assert-provider.js';
export * from './contract/provider.js';
export * from './errors.js';
export * from './lifecycle/index.js';
export * from './logging/logger.js';
export * from './renderables/index.js';
export * from './secrets/redactor.js';
export * from './worker/index.js';
