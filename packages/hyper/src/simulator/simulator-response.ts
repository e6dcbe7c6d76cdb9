import type { Readable } from 'node:stream';

/** What a simulated endpoint answers. */
export type SimulatorResponse =
  | { readonly status: number; readonly json: unknown }
  | { readonly status: number; readonly empty: true }
  | { readonly status: number; readonly raw: Buffer; readonly contentType: string }
  | { readonly status: number; readonly stream: Readable; readonly contentType: string };
