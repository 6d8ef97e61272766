import { Inject, Injectable, Logger } from '@nestjs/common';
import type { PresencePublications } from '#herald/domain';
import { IntervalSweeper } from '#herald/runtime';
import { PRESENCE_PUBLICATIONS_TOKEN } from './presence.tokens';

/** How often publications past their Expires are removed (RFC 3903 §6: the device's own state shows again). */
export const PUBLICATION_EXPIRY_SWEEP_INTERVAL_MS = 1_000;

/** Runs PresencePublications.expire every PUBLICATION_EXPIRY_SWEEP_INTERVAL_MS, one sweep at a time. */
@Injectable()
export class PublicationExpirySweeper extends IntervalSweeper {
  constructor(@Inject(PRESENCE_PUBLICATIONS_TOKEN) private readonly publications: PresencePublications) {
    super(
      PUBLICATION_EXPIRY_SWEEP_INTERVAL_MS,
      'publication expiry sweep',
      new Logger('PublicationExpirySweeper'),
    );
  }

  // A failed sweep's transactions rolled back: its publications stay and the next sweep retries them.
  protected async sweep(): Promise<void> {
    const expired = await this.publications.expire();
    if (expired > 0) this.logger.log(`removed ${expired} expired presence publications`);
  }
}
