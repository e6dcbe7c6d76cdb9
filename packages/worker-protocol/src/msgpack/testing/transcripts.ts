import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The golden captures of Buildbot 3.7 ↔ buildbot-worker 3.7, copied from the project's reference
 * (`protocol-transcripts/`, see its README for how they were made and what is random in them).
 */
export const TRANSCRIPTS_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface HttpEntry {
  readonly dir: 'w2m' | 'm2w';
  readonly kind: 'http';
  readonly text: string;
}

export interface WsEntry {
  readonly dir: 'w2m' | 'm2w';
  readonly kind: 'ws';
  readonly fin: number;
  readonly opcode: number;
  readonly masked: boolean;
  readonly frame_hex: string;
  readonly payload_hex: string;
  readonly msg: unknown;
}

export type TranscriptEntry = HttpEntry | WsEntry;

export function readTranscript(stem: string): TranscriptEntry[] {
  return JSON.parse(readFileSync(join(TRANSCRIPTS_DIR, `${stem}.messages.json`), 'utf8')) as TranscriptEntry[];
}

/** The recorded structure with msgpack bin values as `{"$bin": hex}` turned into bytes, maps as plain objects. */
export function fromRecorded(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromRecorded);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (Object.keys(record).length === 1 && typeof record.$bin === 'string')
      return Uint8Array.from(Buffer.from(record.$bin, 'hex'));
    return Object.fromEntries(Object.entries(record).map(([key, item]) => [key, fromRecorded(item)]));
  }
  return value;
}

/** A decoded value with null-prototype maps turned into plain objects, for `toEqual`. */
export function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toPlain(item)]));
  }
  return value;
}
