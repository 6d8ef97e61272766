import { createHash, timingSafeEqual } from 'node:crypto';
import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { SipEdge } from '../sip-edge';
import { SIP_EDGE } from '../sip-edge.token';

/**
 * Admits requests carrying `Authorization: Bearer <HERALD_ADMIN_TOKEN>` to the edge's admin
 * endpoints (its own state: bans). The edge runs without auth's admin module, so it checks the
 * same token itself; compared in constant time (hashed first, so the lengths leak nothing).
 */
@Injectable()
export class EdgeAdminTokenGuard implements CanActivate {
  constructor(@Inject(SIP_EDGE) private readonly edge: SipEdge) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    const header = request.headers['authorization'];
    const token = typeof header === 'string' ? /^Bearer (.+)$/i.exec(header)?.[1] : undefined;
    const expected = this.edge.config.adminToken;
    if (expected === undefined || token === undefined || !sameDigest(token, expected)) {
      throw new UnauthorizedException({
        code: 'ADMIN_UNAUTHORIZED',
        message: 'a valid admin bearer token is required',
      });
    }
    return true;
  }
}

function sameDigest(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
