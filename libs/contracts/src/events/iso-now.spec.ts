import fc from 'fast-check';
import { isoNow, isoTimestamp } from './iso-now';

/** The earliest and latest times a Date holds (ECMA-262 §21.4.1.1: ±8.64e15 ms). */
const DATE_RANGE = { min: -8.64e15, max: 8.64e15 };

describe('isoTimestamp', () => {
  it('writes what toISOString writes, for any time a Date holds, in any order of calls', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(DATE_RANGE), { minLength: 1, maxLength: 20 }), (times) => {
        for (const ms of times) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
      }),
      { seed: 20261207, numRuns: 500 },
    );
  });

  it('writes toISOString text across second boundaries, within a second, and before 1970', () => {
    const base = Date.UTC(2026, 11, 7, 10, 36, 59);
    const times = [
      base,
      base + 1,
      base + 9,
      base + 10,
      base + 99,
      base + 100,
      base + 999,
      base + 1000,
      base + 1001,
    ];
    const before1970 = [-1, -999, -1000, -1001, -86_400_000 - 5];
    const extendedYears = [
      Date.UTC(10_000, 0, 1, 0, 0, 0, 7),
      Date.UTC(-1, 11, 31, 23, 59, 59, 999),
      8.64e15,
      -8.64e15,
    ];
    for (const ms of [...times, ...before1970, ...extendedYears, base - 1000, base]) {
      expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('isoNow is the current time', () => {
    const before = Date.now();
    const now = Date.parse(isoNow());
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
