import { UsageError } from './cli-errors.js';

/** A host and port to listen on or to tell the worker. Port 0 means "any free port" when listening. */
export interface HostPort {
  readonly host: string;
  readonly port: number | undefined;
}

/**
 * Parses `host`, `host:port`, `[v6]` or `[v6]:port` (an IPv6 address without brackets is taken as
 * a host without port). `what` names the option in error messages.
 */
export function parseHostPort(text: string, what: string): HostPort {
  const value = text.trim();
  if (value.length === 0) throw new UsageError(`${what}: expected host or host:port, got an empty string`);
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(value);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if ((value.match(/:/g) ?? []).length > 1) {
    host = value;
  } else {
    const colon = value.indexOf(':');
    host = colon < 0 ? value : value.slice(0, colon);
    portText = colon < 0 ? undefined : value.slice(colon + 1);
  }
  if (host.length === 0) throw new UsageError(`${what}: "${text}" has no host; write host:port, e.g. 172.17.0.1:9989`);
  if (portText === undefined) return { host, port: undefined };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new UsageError(`${what}: "${portText}" in "${text}" is not a port (0-65535)`);
  }
  return { host, port: Number(portText) };
}

/** `host:port`, with IPv6 hosts bracketed. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
