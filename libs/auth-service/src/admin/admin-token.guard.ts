import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { requireAdminBearer } from '#herald/observability';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';

/** Admits requests carrying `Authorization: Bearer <HERALD_ADMIN_TOKEN>`. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    requireAdminBearer(request.headers['authorization'], this.config.adminToken);
    return true;
  }
}
