import { publishSecret } from '../diagnostics/channels.js';

/** The text that replaces a secret wherever latentci would otherwise print it. */
export const REDACTED = '<redacted>';

/**
 * Shortest secret the redactor can hide: shorter values would mangle ordinary text, so they are
 * not redacted, and latentci refuses them as worker passwords (`ConfigurationError`).
 */
export const MIN_REDACTED_LENGTH = 4;

/**
 * Remembers secret values (worker passwords, API keys, `%(secret:…)s` results) and removes them
 * from any text before it reaches a log line, an event or an error message.
 */
export class Redactor {
  readonly #secrets = new Set<string>();
  /** The secrets longest first, computed once per change (redact runs on every log line). */
  #ordered: readonly string[] | undefined;

  /**
   * Registers a secret. Empty strings and very short values (< 4 chars) are ignored: redacting them
   * would mangle ordinary text. A secret spanning several lines is also registered line by line
   * (lines of 4 characters or more), as output is often printed, and cut, line by line.
   */
  add(secret: string | undefined | null): void {
    if (typeof secret !== 'string' || secret.length < MIN_REDACTED_LENGTH || this.#secrets.has(secret)) return;
    this.#secrets.add(secret);
    this.#ordered = undefined;
    publishSecret(secret);
    if (/[\r\n]/.test(secret)) {
      for (const line of secret.split(/\r\n|\r|\n/)) this.add(line);
    }
  }

  delete(secret: string): void {
    if (this.#secrets.delete(secret)) this.#ordered = undefined;
  }

  get size(): number {
    return this.#secrets.size;
  }

  /** Returns `text` with every registered secret replaced by `<redacted>`, longest first. */
  redact(text: string): string {
    if (this.#secrets.size === 0) return text;
    this.#ordered ??= [...this.#secrets].sort((a, b) => b.length - a.length);
    let result = text;
    for (const secret of this.#ordered) {
      if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    }
    return result;
  }

  /** Deep-redacts strings inside plain objects and arrays (for event payloads and log fields). */
  redactValue<T>(value: T): T {
    if (this.#secrets.size === 0) return value;
    return redactDeep(value, this, new WeakMap()) as T;
  }

  /** Redacts an error's message (and its causes' messages) in place and returns it. */
  redactError<E>(error: E): E {
    let current: unknown = error;
    const seen = new Set<unknown>();
    while (current instanceof Error && !seen.has(current)) {
      seen.add(current);
      const cleaned = this.redact(current.message);
      if (cleaned !== current.message) current.message = cleaned;
      if (typeof current.stack === 'string') current.stack = this.redact(current.stack);
      current = current.cause;
    }
    return error;
  }
}

function redactDeep(value: unknown, redactor: Redactor, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return redactor.redact(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(redactDeep(item, redactor, seen));
    return copy;
  }
  if (value instanceof Error) return redactor.redactError(value);
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [key, item] of Object.entries(value)) copy[key] = redactDeep(item, redactor, seen);
  return copy;
}
