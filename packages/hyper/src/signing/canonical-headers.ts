/**
 * The `host` value Hyper signs: the request's host with a `:80` or `:443` suffix removed. Any other
 * port is kept (Go `sign4.go`).
 */
export function canonicalHost(host: string): string {
  return host.replace(/:(80|443)$/, '');
}

/** The host with any port removed: how the Python signer Buildbot used wrote it. */
export function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  return host.replace(/:\d*$/, '');
}

/**
 * Canonical header lines and the signed-headers list: names lower-cased and sorted, each line
 * `name:value\n` with the value trimmed. `headers` are the (already lower-cased) names to sign with
 * the values to sign; `host` must already follow {@link canonicalHost}.
 */
export function canonicalHeaders(headers: ReadonlyMap<string, string>): { lines: string; signedHeaders: string } {
  const names = [...headers.keys()].map((name) => name.toLowerCase()).sort();
  const values = new Map([...headers].map(([name, value]) => [name.toLowerCase(), value]));
  const lines = names.map((name) => `${name}:${(values.get(name) ?? '').trim()}\n`).join('');
  return { lines, signedHeaders: names.join(';') };
}
