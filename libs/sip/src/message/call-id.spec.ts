// The module object itself (a namespace import is a copy): spies on it see every caller's calls.
import crypto from 'node:crypto';
import { newCallId } from './call-id';

describe('newCallId', () => {
  it('is 96 random bits in hex at the given host (RFC 3261 §8.1.1.4)', () => {
    expect(newCallId('herald.test')).toMatch(/^[0-9a-f]{24}@herald\.test$/);
  });

  it('never repeats and draws from the CSPRNG pool, not one randomBytes call per id', () => {
    const randomBytes = jest.spyOn(crypto, 'randomBytes');
    try {
      const ids = new Set(Array.from({ length: 1_000 }, () => newCallId('h')));
      expect(ids.size).toBe(1_000);
      expect(randomBytes).not.toHaveBeenCalled();
    } finally {
      randomBytes.mockRestore();
    }
  });
});
