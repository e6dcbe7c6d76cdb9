import ky, { type KyInstance, TimeoutError } from 'ky';

/** A Marathon answer: status, parsed JSON body (undefined when not JSON) and headers. */
export interface MarathonResponse {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
  readonly headers: Headers;
}

/** Marathon could not be reached (connection refused, DNS, request timeout). */
export class MarathonUnreachableError extends Error {
  override readonly name = 'MarathonUnreachableError';
}

export interface MarathonClientOptions {
  /** Base URL of the REST API, without `/v2` (a DC/OS base path such as `/service/marathon` is kept). */
  readonly url: string;
  /** The `Authorization` header value, if any. */
  readonly authorization?: string;
  /** Replaces the global `fetch` (tests, proxies). */
  readonly fetch?: typeof fetch;
  /** Per-request timeout in ms. */
  readonly requestTimeout: number;
}

export interface RequestOptions {
  readonly json?: unknown;
  readonly searchParams?: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
}

/** A thin Marathon REST client on ky: no retries, no throwing on HTTP errors; the provider decides. */
export class MarathonClient {
  readonly url: string;
  readonly #ky: KyInstance;

  constructor(options: MarathonClientOptions) {
    this.url = options.url;
    this.#ky = ky.create({
      prefixUrl: `${options.url}/`,
      throwHttpErrors: false,
      retry: 0,
      timeout: options.requestTimeout,
      headers: {
        Accept: 'application/json',
        ...(options.authorization ? { Authorization: options.authorization } : {}),
      },
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /** Sends one request. `path` is relative to the base URL, e.g. `v2/apps`. Abort errors pass through. */
  async request(method: 'GET' | 'POST' | 'DELETE', path: string, options: RequestOptions): Promise<MarathonResponse> {
    options.signal.throwIfAborted();
    let response: Response;
    try {
      response = await this.#ky(path, {
        method,
        signal: options.signal,
        ...(options.json !== undefined ? { json: options.json } : {}),
        ...(options.searchParams ? { searchParams: { ...options.searchParams } } : {}),
      });
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason;
      if (error instanceof TimeoutError) {
        throw new MarathonUnreachableError(`Marathon at ${this.url} did not answer ${method} /${path} in time`, {
          cause: error,
        });
      }
      const reason = describeNetworkError(error);
      throw new MarathonUnreachableError(`cannot reach Marathon at ${this.url} (${method} /${path}): ${reason}`, {
        cause: error,
      });
    }
    const text = await response.text();
    let body: unknown;
    if ((response.headers.get('content-type') ?? '').includes('json') && text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    return { status: response.status, body, text, headers: response.headers };
  }
}

/** Marathon's `message`, else a short excerpt of a non-JSON body (Jetty/Admin Router HTML), else the status text. */
export function marathonMessage(response: MarathonResponse): string {
  const body = response.body;
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  const plain = response.text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > 0 ? plain.slice(0, 200) : `HTTP ${response.status}`;
}

function describeNetworkError(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
