import { createHash } from 'node:crypto';

/** Buildbot's master hash: the first 6 hex digits of SHA-1 of the master id (UTF-8). `fake:/master` → `87de7e`. */
export function masterHash(masterId: string): string {
  return createHash('sha1').update(masterId, 'utf8').digest('hex').slice(0, 6);
}

/**
 * Buildbot's instance name, `buildbot-<worker>-<masterHash>` with every `_` replaced by `-`
 * (worker `bot`, master `fake:/master` → `buildbot-bot-87de7e`), so latentci and Buildbot name
 * containers alike on a shared host.
 */
export function containerName(workerName: string, masterHash: string): string {
  return `buildbot-${workerName}-${masterHash}`.replaceAll('_', '-');
}
