import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { requireAdminBearer } from '#herald/observability';
import type { SipEdge } from '../sip-edge';
import { SIP_EDGE } from '../sip-edge.token';

/**
 * Admits requests carrying `Authorization: Bearer <HERALD_ADMIN_TOKEN>` to the edge's admin
 * endpoints (its own state: bans); the edge runs without auth's admin module, so it checks itself.
 */
@Injectable()
export class EdgeAdminTokenGuard implements CanActivate {
  constructor(@Inject(SIP_EDGE) private readonly edge: SipEdge) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    requireAdminBearer(request.headers['authorization'], this.edge.config.adminToken);
    return true;
  }
}
