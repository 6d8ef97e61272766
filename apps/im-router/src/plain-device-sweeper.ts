import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ImRouter } from '#herald/domain';

/** How often new registrations past their login grace period are served as plain SIP devices. */
export const PLAIN_DEVICE_SWEEP_INTERVAL_MS = 1_000;

/** Runs ImRouter.deliverToPlainDevices every PLAIN_DEVICE_SWEEP_INTERVAL_MS, one sweep at a time. */
@Injectable()
export class PlainDeviceSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PlainDeviceSweeper');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly router: ImRouter) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), PLAIN_DEVICE_SWEEP_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    this.running ??= this.router
      .deliverToPlainDevices()
      .then(
        (served) => {
          if (served > 0) this.logger.log(`offered stored IMs to ${served} plain SIP devices`);
        },
        (error: unknown) => {
          // The transaction rolled back: its devices stay queued and the next tick retries them.
          this.logger.error(
            `plain device sweep failed: ${String(error)}`,
            error instanceof Error ? error.stack : undefined,
          );
        },
      )
      .finally(() => {
        this.running = undefined;
      });
  }
}
