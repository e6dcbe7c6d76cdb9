/** The constants of Hyper's request signing, exactly as in Hyper's Go `sign4.go`. */
export const HYPER_SIGNING = {
  dateHeader: 'X-Hyper-Date',
  payloadHashHeader: 'X-Hyper-Content-Sha256',
  signedHeaderPrefix: 'x-hyper-',
  algorithm: 'HYPER-HMAC-SHA256',
  keyPrefix: 'HYPER',
  terminator: 'hyper_request',
  service: 'hyper',
  defaultRegion: 'us-west-1',
  /** The server rejects a request whose `X-Hyper-Date` is older than this. */
  expiryMilliseconds: 5 * 60 * 1000,
} as const;
