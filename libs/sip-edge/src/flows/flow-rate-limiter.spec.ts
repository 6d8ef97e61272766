import { FakeClock } from '#herald/sip';
import { FlowRateLimiter, PRUNE_THRESHOLD_FLOWS } from './flow-rate-limiter';

describe('FlowRateLimiter', () => {
  it('allows a burst, then refills at the sustained rate, per flow', () => {
    const clock = new FakeClock();
    const limiter = new FlowRateLimiter({ burst: 3, perSecond: 2 }, clock);
    expect([1, 2, 3, 4].map(() => limiter.tryTake('tcp:1'))).toEqual([true, true, true, false]);
    expect(limiter.tryTake('tcp:2')).toBe(true);
    clock.advance(499);
    expect(limiter.tryTake('tcp:1')).toBe(false);
    clock.advance(1);
    expect(limiter.tryTake('tcp:1')).toBe(true);
    expect(limiter.tryTake('tcp:1')).toBe(false);
  });

  it('never accumulates more than the burst', () => {
    const clock = new FakeClock();
    const limiter = new FlowRateLimiter({ burst: 2, perSecond: 10 }, clock);
    clock.advance(60_000);
    expect([1, 2, 3].map(() => limiter.tryTake('tcp:1'))).toEqual([true, true, false]);
  });

  it('starts a forgotten flow with a full bucket and rejects a non-positive limit', () => {
    const clock = new FakeClock();
    const limiter = new FlowRateLimiter({ burst: 1, perSecond: 0.5 }, clock);
    expect(limiter.tryTake('tcp:1')).toBe(true);
    expect(limiter.tryTake('tcp:1')).toBe(false);
    expect(limiter.retryAfterSeconds()).toBe(2);
    limiter.forget('tcp:1');
    expect(limiter.tryTake('tcp:1')).toBe(true);
    expect(() => new FlowRateLimiter({ burst: 0, perSecond: 1 }, clock)).toThrow(RangeError);
  });

  it('drops the buckets of idle flows once many are tracked, keeping throttled ones', () => {
    const clock = new FakeClock();
    const limiter = new FlowRateLimiter({ burst: 1, perSecond: 1 }, clock);
    for (let i = 0; i < PRUNE_THRESHOLD_FLOWS - 1; i++) limiter.tryTake(`udp:5060:127.0.0.1:${i}`);
    clock.advance(2_000); // every bucket so far is full again: as good as none
    expect(limiter.tryTake('busy')).toBe(true);
    expect(limiter.trackedFlows).toBe(PRUNE_THRESHOLD_FLOWS);
    expect(limiter.tryTake('next')).toBe(true);
    // The prune kept only the throttled flow, which is still throttled.
    expect(limiter.trackedFlows).toBe(2);
    expect(limiter.tryTake('busy')).toBe(false);
  });
});
