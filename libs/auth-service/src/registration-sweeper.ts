import { Inject, Injectable, Logger } from '@nestjs/common';
import { IntervalSweeper } from '#herald/runtime';
import type { AuthConfig } from './auth.config';
import type { AuthServices } from './auth.services';
import { AUTH_CONFIG, AUTH_SERVICES } from './auth.tokens';

/**
 * Runs the registration expiry every `sweepIntervalMs`, one sweep at a time, and deletes the
 * REGISTER claims past their retention.
 */
@Injectable()
export class RegistrationSweeper extends IntervalSweeper {
  constructor(
    @Inject(AUTH_CONFIG) config: AuthConfig,
    @Inject(AUTH_SERVICES) private readonly services: AuthServices,
  ) {
    super(config.sweepIntervalMs, 'registration sweep', new Logger('RegistrationSweeper'));
  }

  // A failed sweep leaves its rows in place: the next one retries them.
  protected async sweep(): Promise<void> {
    const removed = await this.services.expiry.sweep();
    if (removed > 0) this.logger.log(`removed ${removed} expired registrations`);
    const pruned = await this.services.registerClaims.sweep();
    if (pruned > 0) this.logger.debug(`deleted ${pruned} REGISTER claims past their retention`);
  }
}
