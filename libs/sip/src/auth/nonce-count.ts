import { DigestError } from './digest-error';

/** Default number of nonces whose last nonce-count is remembered. */
export const DEFAULT_NONCE_COUNT_CAPACITY = 100_000;

const NONCE_COUNT_PATTERN = /^[0-9a-fA-F]{8}$/;

/** nc is exactly 8 hex digits (RFC 7616 §3.4) and counts from 1. */
export function isValidNonceCount(nc: string): boolean {
  return NONCE_COUNT_PATTERN.test(nc) && Number.parseInt(nc, 16) > 0;
}

export function parseNonceCount(nc: string): number {
  if (!isValidNonceCount(nc)) throw new DigestError('digest-invalid-nc', `invalid nonce-count "${nc}"`);
  return Number.parseInt(nc, 16);
}

/**
 * Remembers the highest nonce-count seen per nonce (RFC 7616 §3.3: protects against replay).
 * Bounded: the least recently used nonce is forgotten first; since nonces expire, an evicted
 * nonce is normally already stale.
 */
export class NonceCountTracker {
  private readonly lastCount = new Map<string, number>();

  constructor(private readonly capacity: number = DEFAULT_NONCE_COUNT_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
  }

  /** Records nc for the nonce; false when it is not greater than the last one seen (a replay). */
  accept(nonce: string, nc: string): boolean {
    const count = parseNonceCount(nc);
    const last = this.lastCount.get(nonce);
    if (last !== undefined && count <= last) return false;
    // Re-insert so Map order is least-recently-used first.
    this.lastCount.delete(nonce);
    this.lastCount.set(nonce, count);
    if (this.lastCount.size > this.capacity) {
      const oldest = this.lastCount.keys().next();
      if (oldest.done !== true) this.lastCount.delete(oldest.value);
    }
    return true;
  }

  get size(): number {
    return this.lastCount.size;
  }
}
