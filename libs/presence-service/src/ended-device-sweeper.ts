import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EndedDeviceRetention } from '#herald/domain';
import { IntervalSweeper } from '#herald/runtime';
import { PRESENCE_ENDED_DEVICES_TOKEN } from './presence.tokens';

/** How often ended devices past their retention are forgotten (a slow, unindexed scan: rarely). */
export const ENDED_DEVICE_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/** Runs EndedDeviceRetention.sweep every ENDED_DEVICE_SWEEP_INTERVAL_MS, one sweep at a time. */
@Injectable()
export class EndedDeviceSweeper extends IntervalSweeper {
  constructor(@Inject(PRESENCE_ENDED_DEVICES_TOKEN) private readonly retention: EndedDeviceRetention) {
    super(ENDED_DEVICE_SWEEP_INTERVAL_MS, 'ended device sweep', new Logger('EndedDeviceSweeper'));
  }

  // A failed batch rolled back: its devices stay and the next sweep retries them.
  protected async sweep(): Promise<void> {
    const forgotten = await this.retention.sweep();
    if (forgotten > 0) this.logger.log(`forgot ${forgotten} ended presence devices`);
  }
}
