import { channel } from 'node:diagnostics_channel';
import { OUTPUT_CHANNEL } from './channels.js';

const output = channel(OUTPUT_CHANNEL);

/**
 * True when somebody listens on `latentci:output`: callers may then skip preparing (redacting)
 * what only that channel would receive. Internal (not exported from the package).
 */
export function outputObserved(): boolean {
  return output.hasSubscribers;
}
