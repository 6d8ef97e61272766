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

/** `forgotten`: the nonce may have been evicted, so its counts are unknown; ask for a new nonce. */
export type NonceCountVerdict = 'accepted' | 'replayed' | 'forgotten';

interface NonceCountEntry {
  lastCount: number;
  issuedAt: number;
}

/**
 * Remembers the highest nonce-count seen per nonce (RFC 7616 §3.3: protects against replay).
 * Bounded: the least recently used nonce is forgotten first. So that an evicted nonce cannot be
 * replayed from nc=1 again, any unknown nonce issued no later than an evicted one is `forgotten`
 * (the edge answers with stale=true and the client retries with a new nonce).
 */
export class NonceCountTracker {
  private readonly entries = new Map<string, NonceCountEntry>();
  private evictedIssuedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly capacity: number = DEFAULT_NONCE_COUNT_CAPACITY,
    /**
     * The nonce lifetime (NonceIssuer): a nonce issued this long before one being accepted now is
     * stale, so its counts are no longer needed and are dropped (one entry per registering device
     * otherwise stays until the capacity is reached).
     */
    private readonly lifetimeMs: number = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
  }

  /** Records nc for the nonce (issued at `issuedAt`, see NonceIssuer.issuedAt). */
  accept(nonce: string, issuedAt: number, nc: string): NonceCountVerdict {
    const count = parseNonceCount(nc);
    const entry = this.entries.get(nonce);
    if (entry === undefined && issuedAt <= this.evictedIssuedAt) return 'forgotten';
    if (entry !== undefined && count <= entry.lastCount) return 'replayed';
    // Re-insert so Map order is least-recently-used first.
    this.entries.delete(nonce);
    this.entries.set(nonce, { lastCount: count, issuedAt });
    if (this.entries.size > this.capacity) this.evictLeastRecentlyUsed();
    this.dropStale(issuedAt - this.lifetimeMs);
    return 'accepted';
  }

  get size(): number {
    return this.entries.size;
  }

  /** Evicts least recently used entries while they were issued before `staleBefore`. */
  private dropStale(staleBefore: number): void {
    for (const [nonce, entry] of this.entries) {
      if (entry.issuedAt >= staleBefore) return;
      this.entries.delete(nonce);
      this.evictedIssuedAt = Math.max(this.evictedIssuedAt, entry.issuedAt);
    }
  }

  private evictLeastRecentlyUsed(): void {
    const oldest = this.entries.entries().next();
    if (oldest.done === true) return;
    const [nonce, entry] = oldest.value;
    this.entries.delete(nonce);
    this.evictedIssuedAt = Math.max(this.evictedIssuedAt, entry.issuedAt);
  }
}
