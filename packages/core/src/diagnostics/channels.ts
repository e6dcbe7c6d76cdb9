import { channel } from 'node:diagnostics_channel';

/**
 * latentci's diagnostics channels (`node:diagnostics_channel`): zero cost without subscribers, and
 * a way for in-process tooling to observe everything latentci emits without wrapping every logger.
 *
 * - `latentci:output` carries every log line, event payload and error message latentci emits,
 *   after redaction: `{ kind: 'log' | 'event' | 'error', source, text }`.
 * - `latentci:secret` carries each secret as it is registered for redaction: `{ secret }`, in plain
 *   text. **Off unless opted in** with `enableSecretPublishing()` (from `@latentci/core/testing`):
 *   a test harness turns it on to check that no secret ever reaches `latentci:output`; in
 *   production no subscriber, however it got into the process, receives secrets.
 */
export const OUTPUT_CHANNEL = 'latentci:output';
export const SECRET_CHANNEL = 'latentci:secret';

export type OutputKind = 'log' | 'event' | 'error';

export interface OutputMessage {
  readonly kind: OutputKind;
  /** Who emitted it, e.g. `worker:<name>` or a provider name. */
  readonly source: string;
  readonly text: string;
}

export interface SecretMessage {
  readonly secret: string;
}

const output = channel(OUTPUT_CHANNEL);
const secrets = channel(SECRET_CHANNEL);

/** Publishes something latentci emitted (already redacted). `value` is serialised only when somebody listens. */
export function publishOutput(kind: OutputKind, source: string, value: unknown): void {
  if (!output.hasSubscribers) return;
  output.publish({ kind, source, text: describe(value) } satisfies OutputMessage);
}

/** Shared by every copy of core in the process (ESM and CJS builds), like the channels themselves. */
const SECRET_PUBLISHING = Symbol.for('latentci.secretPublishing');

/**
 * Opts this process in to publishing secrets on `latentci:secret` (tests only: a secret-hygiene
 * harness). `enableSecretPublishing(false)` turns it off again.
 */
export function enableSecretPublishing(enabled = true): void {
  (globalThis as { [SECRET_PUBLISHING]?: boolean })[SECRET_PUBLISHING] = enabled;
}

/** Publishes a secret registered for redaction, only when the process opted in. */
export function publishSecret(secret: string): void {
  if ((globalThis as { [SECRET_PUBLISHING]?: boolean })[SECRET_PUBLISHING] !== true) return;
  if (secrets.hasSubscribers) secrets.publish({ secret } satisfies SecretMessage);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) {
    const parts: string[] = [];
    let current: unknown = value;
    const seen = new Set<unknown>();
    while (current instanceof Error && !seen.has(current)) {
      seen.add(current);
      parts.push(`${current.name}: ${current.message}`);
      current = current.cause;
    }
    return parts.join(' <- ');
  }
  try {
    return (
      JSON.stringify(value, (_key, item: unknown) => (item instanceof Error ? describe(item) : item)) ?? String(value)
    );
  } catch {
    return String(value);
  }
}
