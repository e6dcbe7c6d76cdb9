import { createHash } from 'node:crypto';

/** Buildbot's master hash: the first 6 hex digits of SHA-1 of the master id (UTF-8). `fake:/master` → `87de7e`. */
export function masterHash(masterId: string): string {
  let hash = recentHashes.get(masterId);
  if (hash === undefined) {
    hash = createHash('sha1').update(masterId, 'utf8').digest('hex').slice(0, 6);
    // A master has one id: a few entries spare a SHA-1 per substantiation; the bound keeps it small.
    if (recentHashes.size >= 16) recentHashes.clear();
    recentHashes.set(masterId, hash);
  }
  return hash;
}

const recentHashes = new Map<string, string>();

/**
 * Buildbot's instance name, `buildbot-<worker>-<masterHash>` with every `_` replaced by `-`
 * (worker `bot`, master `fake:/master` → `buildbot-bot-87de7e`), so latentci and Buildbot name
 * containers alike on a shared host.
 */
export function containerName(workerName: string, masterHash: string): string {
  return `buildbot-${workerName}-${masterHash}`.replaceAll('_', '-');
}
