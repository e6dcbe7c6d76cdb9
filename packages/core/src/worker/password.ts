import { randomBytes } from 'node:crypto';

/** Python's `string.ascii_letters + string.digits`, the alphabet of Buildbot's automatic passwords. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const PASSWORD_LENGTH = 20;
/** The largest multiple of 62 that fits in a byte: bytes at or above it are rejected, so every character is equally likely. */
const UNBIASED_LIMIT = 256 - (256 % ALPHABET.length);

/**
 * A worker password like Buildbot's automatic one (20 characters of `[A-Za-z0-9]`), but drawn
 * from the operating system's CSPRNG, uniformly (rejection sampling), where Buildbot uses a
 * non-cryptographic generator.
 */
export function generateWorkerPassword(): string {
  let password = '';
  while (password.length < PASSWORD_LENGTH) {
    for (const byte of randomBytes(32)) {
      if (byte >= UNBIASED_LIMIT) continue;
      password += ALPHABET[byte % ALPHABET.length];
      if (password.length === PASSWORD_LENGTH) break;
    }
  }
  return password;
}
