import { reconnectDelay } from './reconnect-delay';

describe('reconnectDelay', () => {
  it('doubles from the initial delay and stops at the maximum', () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4, 5, 100].map((attempt) => reconnectDelay(attempt, policy))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ]);
  });

  it('defaults to 500 ms doubling up to 15 s', () => {
    expect(reconnectDelay(0)).toBe(500);
    expect(reconnectDelay(10)).toBe(15_000);
  });
});
