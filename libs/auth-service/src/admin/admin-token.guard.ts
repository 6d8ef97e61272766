import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { secretsEqual } from './secrets';

/** Admits requests carrying `Authorization: Bearer <HERALD_ADMIN_TOKEN>`. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    const header = request.headers['authorization'];
    const token = typeof header === 'string' ? /^Bearer (.+)$/i.exec(header)?.[1] : undefined;
    const expected = this.config.adminToken;
    if (expected === undefined || token === undefined || !secretsEqual(token, expected)) {
      throw new UnauthorizedException({
        code: 'ADMIN_UNAUTHORIZED',
        message: 'a valid admin bearer token is required',
      });
    }
    return true;
  }
}
