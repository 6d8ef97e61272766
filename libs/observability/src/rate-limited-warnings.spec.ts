import { RateLimitedWarnings, type CodedWarner } from './rate-limited-warnings';

const INTERVAL_MS = 10_000;

describe('RateLimitedWarnings', () => {
  let now: number;
  let lines: Array<[string, string, Readonly<Record<string, unknown>>]>;
  let warnings: RateLimitedWarnings;

  beforeEach(() => {
    now = 1_000_000;
    lines = [];
    const logger: CodedWarner = {
      warn: (code, message, fields) => void lines.push([code, message, fields]),
    };
    warnings = new RateLimitedWarnings(logger, INTERVAL_MS, () => now);
  });

  it('writes the first warning of a code at once and at most one per interval after it', () => {
    warnings.warn('A', 'a dropped', { id: 1 });
    warnings.warn('A', 'a dropped', { id: 2 });
    now += INTERVAL_MS - 1;
    warnings.warn('A', 'a dropped', { id: 3 });
    expect(lines).toEqual([['A', 'a dropped', { id: 1 }]]);
    now += 1;
    warnings.warn('A', 'a dropped', { id: 4 });
    expect(lines).toEqual([
      ['A', 'a dropped', { id: 1 }],
      ['A', 'a dropped', { id: 4, suppressed: 2 }],
    ]);
    now += INTERVAL_MS;
    warnings.warn('A', 'a dropped', { id: 5 });
    expect(lines[2]).toEqual(['A', 'a dropped', { id: 5 }]);
  });

  it('limits each code on its own', () => {
    warnings.warn('A', 'a dropped', { id: 1 });
    warnings.warn('B', 'b dropped', { id: 2 });
    warnings.warn('A', 'a dropped', { id: 3 });
    expect(lines.map(([code]) => code)).toEqual(['A', 'B']);
  });
});
