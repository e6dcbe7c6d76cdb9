import { HYPER_SIGNING } from './constants.js';

/**
 * The region a request is signed for (Go `serviceAndRegion`): the first DNS label of a
 * `<region>.hyper.sh` host, otherwise the configured region, otherwise `us-west-1`.
 */
export function regionForHost(host: string, configured?: string): string {
  const hostname = host.replace(/:\d*$/, '').toLowerCase();
  if (hostname.endsWith('.hyper.sh')) {
    const label = hostname.split('.')[0];
    if (label && label !== '*') return label;
  }
  return configured ?? HYPER_SIGNING.defaultRegion;
}
