/**
 * The attach protocol between a probe worker and the attach server: a stand-in for Buildbot's PB
 * handshake, small enough for a busybox shell script.
 *
 * ```
 * worker → server   LATENTCI-PROBE 1 <workername> <password>\n
 * worker → server   ENV {"BUILDMASTER":"…","WORKERNAME":"…",…}\n     (optional, sent right after)
 * server → worker   OK\n | DENIED\n
 * ```
 *
 * The worker name is a single token (no spaces); the password is the rest of the line. `ENV` is a
 * JSON object of the worker's whole environment, so that conformance can check the environment
 * contract where it matters: inside the running worker. After `OK` the worker keeps the connection
 * open; it closing means the worker detached.
 */
export const ATTACH_GREETING = 'LATENTCI-PROBE';
export const ATTACH_PROTOCOL_VERSION = 1;
export const ATTACH_ACCEPTED = 'OK';
export const ATTACH_DENIED = 'DENIED';
export const ATTACH_ENVIRONMENT = 'ENV';

export interface AttachHello {
  readonly version: number;
  readonly workerName: string;
  readonly password: string;
}

/** Parses the first line; `undefined` when it is not a probe greeting. */
export function parseAttachHello(line: string): AttachHello | undefined {
  const match = /^LATENTCI-PROBE (\d+) (\S+) (.*)$/.exec(line.replace(/\r$/, ''));
  if (!match) return undefined;
  return { version: Number(match[1]), workerName: match[2]!, password: match[3]! };
}

/** Parses the `ENV {...}` line; `undefined` when absent or malformed. Non-string values are dropped. */
export function parseAttachEnvironment(line: string): Record<string, string> | undefined {
  const trimmed = line.replace(/\r$/, '');
  if (!trimmed.startsWith(`${ATTACH_ENVIRONMENT} `)) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed.slice(ATTACH_ENVIRONMENT.length + 1));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const environment: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string') environment[key] = value;
    return environment;
  } catch {
    return undefined;
  }
}

/** Formats the greeting a worker sends (for workers written in JavaScript). */
export function formatAttachHello(workerName: string, password: string): string {
  return `${ATTACH_GREETING} ${ATTACH_PROTOCOL_VERSION} ${workerName} ${password}\n`;
}

/** Formats the environment line a worker sends after the greeting. */
export function formatAttachEnvironment(environment: Readonly<Record<string, string | undefined>>): string {
  const defined: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment)) if (value !== undefined) defined[key] = value;
  return `${ATTACH_ENVIRONMENT} ${JSON.stringify(defined)}\n`;
}
