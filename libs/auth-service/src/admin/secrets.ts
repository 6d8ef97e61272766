import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares two secrets in constant time (hashed first, so their lengths leak nothing either). */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
