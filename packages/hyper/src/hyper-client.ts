import { isAbortError, type Redactor } from '@latentci/core';
import ky, { type KyInstance } from 'ky';
import {
  HyperApiError,
  HyperAuthenticationError,
  HyperClockSkewError,
  HyperPayloadRejectedError,
  HyperRequestRejectedError,
  ImageNotFoundError,
} from './errors.js';
import { HYPER_SIGNING } from './signing/constants.js';
import { signHyperRequest } from './signing/sign-hyper-request.js';

/** Answers about the request itself (a setting's value), not Hyper's state. */
const REJECTED_REQUEST_STATUSES = new Set([400, 413, 414, 431]);

/** The Docker API version Hyper speaks. */
export const HYPER_API_PREFIX = 'v1.23';

export interface HyperClientOptions {
  /** Base URL ending in `/`, from `hyperBaseUrl`. */
  readonly baseUrl: URL;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region?: string;
  /** The `fetch` to send requests with. Default: the global one. */
  readonly fetch?: typeof fetch;
  /** Milliseconds one call may take. Default 60 000. */
  readonly timeoutMilliseconds?: number;
  /** Removes secrets (keys, passwords) from error messages. */
  readonly redactor: Redactor;
  /** Clock used for `X-Hyper-Date`. Default: now. */
  readonly now?: () => Date;
}

export interface HyperCallOptions {
  /** Query string (without `?`), already encoded. */
  readonly query?: string;
  /** JSON body. */
  readonly json?: unknown;
  readonly signal: AbortSignal;
  /** Statuses that are answers, not failures (e.g. `404` when a missing container is fine). 2xx and 304 always are. */
  readonly accept?: readonly number[];
}

export interface HyperAnswer {
  readonly status: number;
  /** The body as UTF-8 text. */
  readonly text: string;
  /** The body's bytes (for Docker's binary log frames). */
  readonly bytes: Buffer;
}

const NO_SUCH_IMAGE = /No such image: (\S+)/;

/**
 * A Hyper API client on ky: every request (and every retry) is signed in a `beforeRequest` hook
 * with a fresh `X-Hyper-Date`; failures become typed errors built from Hyper's plain-text answers.
 */
export class HyperClient {
  readonly #ky: KyInstance;
  readonly #options: HyperClientOptions;

  constructor(options: HyperClientOptions) {
    this.#options = options;
    const now = options.now ?? (() => new Date());
    this.#ky = ky.create({
      prefixUrl: options.baseUrl,
      throwHttpErrors: false,
      timeout: options.timeoutMilliseconds ?? 60_000,
      // Only reads are repeated, and only when a proxy in front of Hyper says it is momentarily unavailable.
      retry: { limit: 2, methods: ['get'], statusCodes: [502, 503, 504] },
      ...(options.fetch ? { fetch: options.fetch } : {}),
      hooks: {
        beforeRequest: [
          async (request) => {
            for (const stale of ['authorization', 'x-hyper-date', 'x-hyper-content-sha256'])
              request.headers.delete(stale);
            if (!request.headers.has('content-type')) request.headers.set('content-type', 'application/json');
            const body = request.body ? new Uint8Array(await request.clone().arrayBuffer()) : undefined;
            const signed = signHyperRequest({
              method: request.method,
              url: request.url,
              headers: request.headers,
              ...(body === undefined ? {} : { body }),
              accessKey: options.accessKey,
              secretKey: options.secretKey,
              ...(options.region === undefined ? {} : { region: options.region }),
              date: now(),
            });
            for (const [name, value] of Object.entries(signed)) request.headers.set(name, value);
          },
        ],
      },
    });
  }

  /** Sends one call to `/v1.23/<path>` and returns Hyper's answer, or throws a typed error. */
  async call(method: 'GET' | 'POST' | 'DELETE', path: string, options: HyperCallOptions): Promise<HyperAnswer> {
    const target = `${HYPER_API_PREFIX}/${path}${options.query ? `?${options.query}` : ''}`;
    const call = `${method} /${HYPER_API_PREFIX}/${path}`;
    let response: Response;
    try {
      response = await this.#ky(target, {
        method,
        signal: options.signal,
        ...(options.json === undefined ? {} : { json: options.json }),
      });
    } catch (error) {
      if (options.signal.aborted) throw isAbortError(error) ? error : options.signal.reason;
      const reason = error instanceof Error ? error.message : String(error);
      throw this.#options.redactor.redactError(
        new HyperApiError(
          `Hyper call ${call} to ${this.#options.baseUrl.origin} got no answer (${reason}); check hyperHost and the network, the start will be retried`,
          { call },
          { cause: error },
        ),
      );
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = bytes.toString('utf8');
    const status = response.status;
    if ((status >= 200 && status < 300) || status === 304 || options.accept?.includes(status))
      return { status, text, bytes };
    throw this.#options.redactor.redactError(this.#failure(call, status, text.trim(), response.headers.get('date')));
  }

  /** Opens a streamed answer (`logs?follow=1`); the body is read by the caller until `signal` aborts. */
  async stream(path: string, query: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const call = `GET /${HYPER_API_PREFIX}/${path}`;
    const response = await this.#ky(`${HYPER_API_PREFIX}/${path}?${query}`, {
      method: 'GET',
      signal,
      timeout: false,
      retry: 0,
    });
    if (response.status !== 200 || !response.body) {
      const body = (await response.text()).trim();
      throw this.#options.redactor.redactError(
        this.#failure(call, response.status, body, response.headers.get('date')),
      );
    }
    return response.body;
  }

  /** Sends a call and parses its JSON answer. */
  async json<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: HyperCallOptions,
  ): Promise<{ status: number; body: T | undefined }> {
    const answer = await this.call(method, path, options);
    // An accepted error answer (404 "No such container") is Hyper's plain text, not JSON.
    if (answer.status >= 300 || answer.text.trim().length === 0) return { status: answer.status, body: undefined };
    try {
      return { status: answer.status, body: JSON.parse(answer.text) as T };
    } catch (error) {
      throw new HyperApiError(
        `Hyper call ${method} /${HYPER_API_PREFIX}/${path} answered ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 200)}`,
        { call: `${method} /${HYPER_API_PREFIX}/${path}`, status: answer.status, body: answer.text },
        { cause: error, retryable: true },
      );
    }
  }

  #failure(call: string, status: number, body: string, dateHeader: string | null): Error {
    const details = { call, status, body };
    const shown = body.length > 0 ? body : '(empty body)';
    if (status === 401 || status === 403) {
      if (/payload check error/i.test(body)) {
        return new HyperPayloadRejectedError(
          `Hyper refused ${call} (${status} ${shown}): the body it received does not match the signed hash; check that no proxy between latentci and hyperHost rewrites request bodies`,
          details,
        );
      }
      const serverTime = dateHeader ? Date.parse(dateHeader) : Number.NaN;
      const now = (this.#options.now ?? (() => new Date()))().getTime();
      const skewSeconds = Number.isNaN(serverTime) ? undefined : Math.round((now - serverTime) / 1000);
      if (
        /expired|ahead of the server clock/i.test(body) ||
        (skewSeconds !== undefined && Math.abs(skewSeconds) * 1000 > HYPER_SIGNING.expiryMilliseconds)
      ) {
        const offset =
          skewSeconds === undefined
            ? ''
            : ` (this machine's clock is about ${Math.round(Math.abs(skewSeconds) / 60)} minutes ${skewSeconds > 0 ? 'ahead of' : 'behind'} Hyper's)`;
        return new HyperClockSkewError(
          `Hyper refused ${call} (${status} ${shown}): the request's X-Hyper-Date is more than 5 minutes off Hyper's clock${offset}; synchronise this machine's clock (NTP)`,
          details,
        );
      }
      return new HyperAuthenticationError(
        `Hyper refused the credentials for ${call} (${status} ${shown}): check the access key and secret key (accessKey/secretKey or HYPER_ACCESSKEY/HYPER_SECRETKEY) and the region`,
        details,
      );
    }
    const image = status === 404 ? NO_SUCH_IMAGE.exec(body)?.[1] : undefined;
    if (image !== undefined) {
      return new ImageNotFoundError(
        `Hyper has no image ${image} (${call}: ${status} ${shown}); check the image name, or make the image available to Hyper`,
        image,
      );
    }
    if (REJECTED_REQUEST_STATUSES.has(status)) {
      const why =
        status === 400 ? 'a setting has a value Hyper does not accept' : 'a setting is too large for Hyper to accept';
      return new HyperRequestRejectedError(
        `Hyper refused ${call} (${status} ${shown}): ${why}: fix it in the provider settings (retrying cannot help)`,
        details,
      );
    }
    const advice =
      status >= 500 || status === 408 || status === 429 ? 'the start will be retried' : 'check the request';
    return new HyperApiError(`Hyper call ${call} failed with ${status}: ${shown}; ${advice}`, details);
  }
}
