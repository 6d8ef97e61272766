import { Injectable, Logger } from '@nestjs/common';
import { ImRouter } from '#herald/domain';
import { IntervalSweeper } from '#herald/runtime';

/** How often new registrations past their login grace period are served as plain SIP devices. */
export const PLAIN_DEVICE_SWEEP_INTERVAL_MS = 1_000;

/** Runs ImRouter.deliverToPlainDevices every PLAIN_DEVICE_SWEEP_INTERVAL_MS, one sweep at a time. */
@Injectable()
export class PlainDeviceSweeper extends IntervalSweeper {
  constructor(private readonly router: ImRouter) {
    super(PLAIN_DEVICE_SWEEP_INTERVAL_MS, 'plain device sweep', new Logger('PlainDeviceSweeper'));
  }

  // A failed sweep's transaction rolled back: its devices stay queued and the next sweep retries them.
  protected async sweep(): Promise<void> {
    const served = await this.router.deliverToPlainDevices();
    if (served > 0) this.logger.log(`offered stored IMs to ${served} plain SIP devices`);
  }
}
