export { Properties } from './properties.js';
