import { signHyperRequest } from '../signing/sign-hyper-request.js';

export interface SignedFetchOptions {
  readonly accessKey: string;
  readonly secretKey: string;
  readonly body?: string;
  readonly date?: Date;
  readonly region?: string;
  /** Replaces the body after signing (to tamper with it). */
  readonly sentBody?: string;
  readonly headers?: Record<string, string>;
}

/** Sends one request signed with {@link signHyperRequest}, for tests that talk to the simulator directly. */
export async function signedFetch(baseUrl: string, method: string, path: string, options: SignedFetchOptions) {
  const url = new URL(path, baseUrl);
  const signed = signHyperRequest({
    method,
    url,
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.date === undefined ? {} : { date: options.date }),
  });
  const body = options.sentBody ?? options.body;
  const response = await fetch(url, {
    method,
    headers: { ...options.headers, ...signed },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}
