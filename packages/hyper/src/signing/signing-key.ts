import { createHash, createHmac } from 'node:crypto';
import { HYPER_SIGNING } from './constants.js';

/** Lower-case hex SHA-256 of `data` (a string is hashed as UTF-8). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Uint8Array, message: string): Buffer {
  return createHmac('sha256', key).update(message, 'utf8').digest();
}

/**
 * Hyper's signing key: `HMAC("HYPER"+secret, DATE8)` → region → `hyper` → `hyper_request`, each
 * HMAC-SHA256 with raw-byte output.
 */
export function signingKey(secretKey: string, date8: string, region: string): Buffer {
  const dateKey = hmac(HYPER_SIGNING.keyPrefix + secretKey, date8);
  const regionKey = hmac(dateKey, region);
  const serviceKey = hmac(regionKey, HYPER_SIGNING.service);
  return hmac(serviceKey, HYPER_SIGNING.terminator);
}

/** Lower-case hex `HMAC-SHA256(signingKey, stringToSign)`. */
export function signature(key: Uint8Array, stringToSign: string): string {
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}
