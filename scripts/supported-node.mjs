// The repository's scripts (test, demo, bench) run on a supported Node (>= 22.19, engines.node).
// On an older one — Node 20 still ships with many machines — they re-run themselves once under
// Node 24 from the npm registry (scripts/node-runtimes.sh), so the quick start's two commands
// work on such a machine as they are.
import { execFileSync, spawnSync } from 'node:child_process';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MINIMUM_NODE = [22, 19];
const RUNTIME_MAJOR = '24';

export function isSupportedNode(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  return major > MINIMUM_NODE[0] || (major === MINIMUM_NODE[0] && minor >= MINIMUM_NODE[1]);
}

/** Returns when this Node is supported; else runs `script` under Node 24 and exits with its status. */
export function ensureSupportedNode(script) {
  if (isSupportedNode()) return;
  const runtimes = fileURLToPath(new URL('./node-runtimes.sh', import.meta.url));
  const bin = execFileSync('bash', [runtimes, 'bin', RUNTIME_MAJOR], { encoding: 'utf8' }).trim();
  console.error(
    `latentci: Node ${process.versions.node} is older than the supported ${MINIMUM_NODE.join('.')}; running under Node ${RUNTIME_MAJOR} from the npm registry (${bin})`,
  );
  const result = spawnSync(`${bin}/node`, [script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
  });
  process.exit(result.status ?? 1);
}
