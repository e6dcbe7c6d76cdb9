import { lookup as dnsLookup, lookupService as dnsLookupService } from 'node:dns/promises';
import { isIP, isIPv6 } from 'node:net';
import { hostname as osHostname } from 'node:os';
import type { MasterAddress } from '../contract/provider.js';
import { ConfigurationError } from '../errors.js';

const INVALID_HOST_CHARACTERS = /[\s\u0000-\u001f\u007f/@?#[\]]/;

/**
 * Parses Buildbot's `masterFQDN`: `host`, `host:port`, `[ipv6]`, `[ipv6]:port`, or a bare IPv6
 * address without a port.
 *
 * Buildbot splits on every `:` and takes exactly two parts, so it crashes on IPv6 and passes any
 * port text through unchecked. latentci instead throws a `ConfigurationError` naming the input for:
 * an empty host (`''`, `:9989`, `[]`), a port that is not an integer from 1 to 65535 (`host:`,
 * `host:abc`, `host:0`, `host:65536`), a malformed bracket form, a host with spaces or `/ @ ? # [ ]`,
 * several colons that do not make an IPv6 address, and a bare IPv6 address whose last group could
 * be a port (`2001:db8::1:9989`: write `[2001:db8::1]:9989` or `[2001:db8::1:9989]`).
 */
export function parseMasterAddress(value: string): MasterAddress {
  if (typeof value !== 'string') {
    throw new ConfigurationError(`masterFQDN must be a string such as "master.example.com:9989", got ${typeof value}`);
  }
  const shown = JSON.stringify(value);
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) throw new ConfigurationError(`masterFQDN ${shown}: missing ']' after the IPv6 address`);
    const host = value.slice(1, close);
    if (host === '') throw new ConfigurationError(`masterFQDN ${shown}: the host is empty`);
    if (!isIPv6(host)) {
      throw new ConfigurationError(
        `masterFQDN ${shown}: ${JSON.stringify(host)} between brackets is not an IPv6 address`,
      );
    }
    const rest = value.slice(close + 1);
    if (rest === '') return { host };
    if (!rest.startsWith(':')) {
      throw new ConfigurationError(
        `masterFQDN ${shown}: unexpected ${JSON.stringify(rest)} after ']' (expected ':port')`,
      );
    }
    return { host, port: parsePort(rest.slice(1), shown) };
  }
  const firstColon = value.indexOf(':');
  if (firstColon < 0) return { host: checkHost(value, shown) };
  if (value.indexOf(':', firstColon + 1) < 0) {
    return { host: checkHost(value.slice(0, firstColon), shown), port: parsePort(value.slice(firstColon + 1), shown) };
  }
  if (!isIPv6(value)) {
    throw new ConfigurationError(
      `masterFQDN ${shown} has several ':' but is not an IPv6 address; write an IPv6 address with a port as [address]:port`,
    );
  }
  const lastColon = value.lastIndexOf(':');
  const head = value.slice(0, lastColon);
  const tail = value.slice(lastColon + 1);
  if (/^[0-9]+$/.test(tail) && isIPv6(head)) {
    throw new ConfigurationError(
      `masterFQDN ${shown} is ambiguous: the IPv6 address ${value}, or ${head} with port ${tail}? Write [${value}] or [${head}]:${tail}`,
    );
  }
  return { host: value };
}

function checkHost(host: string, shown: string): string {
  if (host === '') throw new ConfigurationError(`masterFQDN ${shown}: the host is empty`);
  if (INVALID_HOST_CHARACTERS.test(host)) {
    throw new ConfigurationError(`masterFQDN ${shown}: ${JSON.stringify(host)} is not a valid host name or address`);
  }
  return host;
}

function parsePort(text: string, shown: string): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new ConfigurationError(
      `masterFQDN ${shown}: invalid port ${JSON.stringify(text)}, expected an integer from 1 to 65535`,
    );
  }
  return port;
}

export interface ResolveDefaultMasterHostOptions {
  /** The name to qualify; default: the machine's host name (`os.hostname()`). */
  readonly hostname?: string;
  /** Each DNS step gives up after this long and the host name is used. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Forward lookup (default `dns.lookup`): the first address of `name`. */
  readonly lookup?: (name: string) => Promise<string>;
  /** Reverse lookup (default `dns.lookupService(address, 0)`): the canonical name of `address`. */
  readonly reverse?: (address: string) => Promise<string>;
}

/**
 * The default master host, as Buildbot computes it with Python's `socket.getfqdn()`: the host
 * name is resolved to its first address, that address is looked up in reverse (hosts file, then
 * DNS), and the canonical name found is returned; on any failure (or after `timeoutMs`), the plain
 * host name. Asynchronous because Node has no synchronous DNS.
 *
 * Difference: Python also returns the first *alias* containing a dot when the canonical name has
 * none; Node's resolver does not report aliases, so the canonical name is returned as is.
 */
export async function resolveDefaultMasterHost(options: ResolveDefaultMasterHostOptions = {}): Promise<string> {
  let name = (options.hostname ?? osHostname()).trim();
  if (name === '' || name === '0.0.0.0' || name === '::') name = osHostname();
  const timeoutMs = options.timeoutMs ?? 5000;
  const forward = options.lookup ?? (async (host: string) => (await dnsLookup(host)).address);
  const reverse = options.reverse ?? (async (address: string) => (await dnsLookupService(address, 0)).hostname);
  try {
    const address = await withTimeout(forward(name), timeoutMs);
    const canonical = await withTimeout(reverse(address), timeoutMs);
    // getnameinfo answers with the numeric address when no name is known: Python's lookup fails then.
    if (!canonical || isIP(canonical) !== 0) return name;
    return canonical;
  } catch {
    return name;
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
