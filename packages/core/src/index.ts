export * from './contract/assert-provider.js';
export * from './contract/provider.js';
export * from './errors.js';
export * from './logging/logger.js';
export { Properties } from './renderables/properties.js';
export * from './secrets/redactor.js';
