import { parseMasterAddress } from '@latentci/core';
import { UsageError } from './cli-errors.js';

/** A host and port to listen on or to tell the worker. Port 0 means "any free port" when listening. */
export interface HostPort {
  readonly host: string;
  readonly port: number | undefined;
}

/**
 * Parses `host`, `host:port`, `[v6]` or `[v6]:port` with core's `parseMasterAddress` rules (the
 * ones `worker.masterFQDN` follows), plus port 0 ("any free port", for listening). `what` names the
 * option in error messages. Rejects what core rejects: `[::1` (no `]`), `http://x:80` (a URL),
 * several `:` that do not make an IPv6 address, ambiguous bare IPv6 addresses.
 */
export function parseHostPort(text: string, what: string): HostPort {
  const value = text.trim();
  if (value.length === 0) throw new UsageError(`${what}: expected host or host:port, got an empty string`);
  // Port 0 is the CLI's own ("pick a free port"); core's rules know ports 1-65535.
  const anyPort = value.endsWith(':0') && (value.startsWith('[') || value.indexOf(':') === value.length - 2);
  let address: { host: string; port?: number | undefined };
  try {
    address = parseMasterAddress(anyPort ? value.slice(0, -2) : value);
  } catch (error) {
    const reason = (error as Error).message.replace(/^masterFQDN /, '');
    throw new UsageError(`${what} ${reason}; write host:port, e.g. 172.17.0.1:9989 or [::1]:9989`, { cause: error });
  }
  return { host: address.host, port: anyPort ? 0 : address.port };
}

/** `host:port`, with IPv6 hosts bracketed. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
