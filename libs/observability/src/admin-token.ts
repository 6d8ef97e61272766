import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthorizedException } from '@nestjs/common';

/** Compares two secrets in constant time (hashed first, so their lengths leak nothing either). */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The admin endpoints' check (auth's admin API, the edge's bans): passes only an `Authorization`
 * header `Bearer <expected>`; without `expected` (HERALD_ADMIN_TOKEN unset) it refuses everything.
 */
export function requireAdminBearer(authorization: unknown, expected: string | undefined): void {
  const token = typeof authorization === 'string' ? /^Bearer (.+)$/i.exec(authorization)?.[1] : undefined;
  if (expected === undefined || token === undefined || !secretsEqual(token, expected)) {
    throw new UnauthorizedException({
      code: 'ADMIN_UNAUTHORIZED',
      message: 'a valid admin bearer token is required',
    });
  }
}
