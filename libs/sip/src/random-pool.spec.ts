import { fillRandom, RANDOM_POOL_BYTES, randomString } from './random-pool';

describe('random pool', () => {
  it('hands out strings of the asked length and encoding', () => {
    expect(randomString(8, 'hex')).toMatch(/^[0-9a-f]{16}$/);
    expect(randomString(12, 'base64url')).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('never hands out the same bytes twice, across pool refills', () => {
    const draws = 3 * (RANDOM_POOL_BYTES / 8) + 5;
    const seen = new Set<string>();
    for (let i = 0; i < draws; i++) seen.add(randomString(8, 'hex'));
    expect(seen.size).toBe(draws);
  });

  it('fills only the asked range of the target', () => {
    const target = Buffer.alloc(32);
    fillRandom(target, 8, 16);
    expect(target.subarray(0, 8).equals(Buffer.alloc(8))).toBe(true);
    expect(target.subarray(24).equals(Buffer.alloc(8))).toBe(true);
    // 16 random bytes all zero has probability 2^-128.
    expect(target.subarray(8, 24).equals(Buffer.alloc(16))).toBe(false);
  });

  it('serves a draw that does not fit in what is left of the pool from a fresh pool', () => {
    randomString(RANDOM_POOL_BYTES - 1, 'hex');
    expect(randomString(RANDOM_POOL_BYTES, 'hex')).toHaveLength(2 * RANDOM_POOL_BYTES);
  });

  it('rejects lengths it cannot serve', () => {
    expect(() => randomString(0, 'hex')).toThrow(RangeError);
    expect(() => randomString(RANDOM_POOL_BYTES + 1, 'hex')).toThrow(RangeError);
    expect(() => fillRandom(Buffer.alloc(4), 0, 1.5)).toThrow(RangeError);
  });
});
