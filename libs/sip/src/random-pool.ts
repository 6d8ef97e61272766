import { randomFillSync } from 'node:crypto';

/**
 * Bytes drawn from the CSPRNG at once. One randomFillSync call costs about as much as an HMAC
 * (a native job per call), and every REGISTER took three (a To tag per response, a nonce salt):
 * ~4 % of the edge CPU. Node's randomUUID caches its entropy the same way.
 */
export const RANDOM_POOL_BYTES = 4096;

const pool = Buffer.allocUnsafeSlow(RANDOM_POOL_BYTES);
let used = RANDOM_POOL_BYTES;

/** The offset of `length` fresh bytes in `pool`; each byte is handed out once. */
function take(length: number): number {
  if (!Number.isInteger(length) || length < 1 || length > RANDOM_POOL_BYTES) {
    throw new RangeError(`random length must be 1..${RANDOM_POOL_BYTES}, got ${length}`);
  }
  if (used + length > RANDOM_POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const start = used;
  used += length;
  return start;
}

/** `length` random bytes as a string in `encoding` (hex for tags, base64url for branches). */
export function randomString(length: number, encoding: 'hex' | 'base64url'): string {
  const start = take(length);
  return pool.toString(encoding, start, start + length);
}

/** Fills `target[offset, offset + length)` with random bytes. */
export function fillRandom(target: Buffer, offset: number, length: number): void {
  const start = take(length);
  pool.copy(target, offset, start, start + length);
}
