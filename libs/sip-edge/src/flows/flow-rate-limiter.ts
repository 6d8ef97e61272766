import { Clock } from '#herald/sip';

export interface RateLimit {
  /** Requests allowed in a burst. */
  burst: number;
  /** Sustained requests per second. */
  perSecond: number;
}

/** Below this many tracked flows no pruning happens; above it, full buckets are dropped. */
export const PRUNE_THRESHOLD_FLOWS = 1_000;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** One token bucket per flow: a misbehaving device is throttled without touching the others. */
export class FlowRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private pruneAt = PRUNE_THRESHOLD_FLOWS;

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: Clock,
  ) {
    if (!(limit.burst >= 1) || !(limit.perSecond > 0)) throw new RangeError('rate limit must be positive');
  }

  /** Takes one token for the flow; false when the flow is over its rate. */
  tryTake(flowId: string): boolean {
    const now = this.clock.now();
    if (this.buckets.size >= this.pruneAt) this.prune(now);
    const bucket = this.buckets.get(flowId) ?? { tokens: this.limit.burst, updatedAt: now };
    this.refill(bucket, now);
    this.buckets.set(flowId, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Seconds until the flow has a token again (for Retry-After), at least 1. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(1 / this.limit.perSecond));
  }

  forget(flowId: string): void {
    this.buckets.delete(flowId);
  }

  get trackedFlows(): number {
    return this.buckets.size;
  }

  private refill(bucket: Bucket, now: number): void {
    const refilled = ((now - bucket.updatedAt) / 1000) * this.limit.perSecond;
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + refilled);
    bucket.updatedAt = now;
  }

  /**
   * Unregistered UDP sources would otherwise grow the map without bound: a full bucket is the
   * same as none, so it is dropped. Amortized: the next prune waits until the map doubled.
   */
  private prune(now: number): void {
    for (const [flowId, bucket] of this.buckets) {
      this.refill(bucket, now);
      if (bucket.tokens >= this.limit.burst) this.buckets.delete(flowId);
    }
    this.pruneAt = Math.max(PRUNE_THRESHOLD_FLOWS, 2 * this.buckets.size);
  }
}
