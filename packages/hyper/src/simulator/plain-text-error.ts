import type { ServerResponse } from 'node:http';

/** An error the simulator answers the way Hyper's server did: `http.Error(w, msg, status)`. */
export class HyperHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HyperHttpError';
  }
}

/**
 * Writes a plain-text error like Go's `http.Error`: `Content-Type: text/plain; charset=utf-8`,
 * `X-Content-Type-Options: nosniff`, body `<message>\n`.
 */
export function writePlainTextError(response: ServerResponse, status: number, message: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = `${message}\n`;
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  response.end(body);
}

/** The status Docker's (and Hyper's) `WriteError` derives from the words of a message without an explicit code. */
export function statusForMessage(message: string): number {
  const lower = message.toLowerCase();
  if (lower.includes('not found') || lower.includes('no such')) return 404;
  if (lower.includes('bad parameter')) return 400;
  if (lower.includes('conflict')) return 409;
  if (lower.includes('impossible')) return 406;
  if (lower.includes('wrong login/password')) return 401;
  if (lower.includes("hasn't been activated")) return 403;
  return 500;
}
