import { ConfigurationError } from '@latentci/core';
import { HYPER_SIGNING } from './signing/constants.js';

/**
 * The base URL for a `hyperHost` setting. Buildbot's form `tcp://us-west-1.hyper.sh:443` (and a bare
 * `host[:port]`) becomes `https://host[:port]`, like the Python client; `https://` and `http://` URLs
 * are used as given (a simulator listens on `http://127.0.0.1:<port>`). A `*` in the host (the
 * Hyper CLI's config key `tcp://*.hyper.sh:443`) is replaced by the region.
 */
export function hyperBaseUrl(hyperHost: string, region?: string): URL {
  if (typeof hyperHost !== 'string' || hyperHost.trim().length === 0) {
    throw new ConfigurationError(
      'hyperHost is required: the Hyper endpoint, e.g. "tcp://us-west-1.hyper.sh:443" or "https://us-west-1.hyper.sh"',
    );
  }
  const trimmed = hyperHost.trim().replace('*', region ?? HYPER_SIGNING.defaultRegion);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (error) {
    throw new ConfigurationError(
      `hyperHost "${hyperHost}" is not a valid endpoint: use "tcp://us-west-1.hyper.sh:443" or an https/http URL`,
      { cause: error },
    );
  }
  if (url.protocol === 'tcp:') url = new URL(`https://${url.host}${url.pathname === '/' ? '' : url.pathname}`);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(
      `hyperHost "${hyperHost}" has an unsupported scheme ${url.protocol}: use tcp://, https:// or http://`,
    );
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigurationError(`hyperHost "${hyperHost}" must not carry a query, fragment or credentials`);
  }
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url;
}
