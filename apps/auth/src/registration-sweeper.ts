import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { AuthConfig } from './auth.config';
import type { AuthServices } from './auth.services';
import { AUTH_CONFIG, AUTH_SERVICES } from './auth.tokens';

/** Runs the registration expiry every `sweepIntervalMs`, one sweep at a time. */
@Injectable()
export class RegistrationSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RegistrationSweeper');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(AUTH_SERVICES) private readonly services: AuthServices,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.config.sweepIntervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Sweeps now unless a sweep is still running; resolves when this sweep is done. */
  sweepNow(): Promise<void> {
    this.running ??= this.services.expiry
      .sweep()
      .then((removed) => {
        if (removed > 0) this.logger.log(`removed ${removed} expired registrations`);
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private tick(): void {
    // A failed sweep leaves its rows in place: the next tick retries them.
    this.sweepNow().catch((error: unknown) => {
      this.logger.error(
        `registration sweep failed: ${String(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    });
  }
}
