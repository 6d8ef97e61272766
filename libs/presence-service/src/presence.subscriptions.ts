import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EventBus } from '#herald/bus';
import { SimpleNotifier, SubscriptionExpiry, SubscriptionService } from '#herald/domain';
import {
  SqlPresenceRepository,
  SqlRosterRepository,
  SqlSubscriptionRepository,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import { IntervalSweeper } from '#herald/runtime';
import { PIDF_WRITER } from '#herald/sip';
import type { DataSource } from 'typeorm';
import { PRESENCE_SUBSCRIPTIONS_TOKEN } from './presence.tokens';

/** RFC 3856 §6.4: one hour, also the longest subscription granted (a longer request is shortened). */
export const MAX_SUBSCRIPTION_EXPIRES_SECONDS = 3600;
/** How often subscriptions past their expiry get their final NOTIFY (RFC 6665 §4.2.2). */
export const SUBSCRIPTION_EXPIRY_SWEEP_INTERVAL_MS = 1_000;
/** Subscriptions ended per sweep transaction. */
export const SUBSCRIPTION_EXPIRY_BATCH = 100;

/** SIMPLE subscriptions (protocol.md §7): SUBSCRIBE decisions, NOTIFY outcomes, and the expiry sweep. */
export interface PresenceSubscriptions {
  service: SubscriptionService;
  expiry: SubscriptionExpiry;
}

/** Wires the SIMPLE subscription services to the persistence adapters and the bus. */
export function createPresenceSubscriptions(bus: EventBus, dataSource: DataSource): PresenceSubscriptions {
  const unitOfWork = new TypeOrmUnitOfWork(dataSource);
  const subscriptions = new SqlSubscriptionRepository();
  const notifier = new SimpleNotifier({ subscriptions, documents: PIDF_WRITER, bus });
  return {
    service: new SubscriptionService({
      unitOfWork,
      subscriptions,
      rosters: new SqlRosterRepository(),
      presence: new SqlPresenceRepository(),
      notifier,
      bus,
      maxExpiresSeconds: MAX_SUBSCRIPTION_EXPIRES_SECONDS,
    }),
    expiry: new SubscriptionExpiry({
      unitOfWork,
      subscriptions,
      notifier,
      bus,
      batchSize: SUBSCRIPTION_EXPIRY_BATCH,
    }),
  };
}

/** Ends expired subscriptions every SUBSCRIPTION_EXPIRY_SWEEP_INTERVAL_MS, one sweep at a time. */
@Injectable()
export class SubscriptionExpirySweeper extends IntervalSweeper {
  constructor(@Inject(PRESENCE_SUBSCRIPTIONS_TOKEN) private readonly subscriptions: PresenceSubscriptions) {
    super(
      SUBSCRIPTION_EXPIRY_SWEEP_INTERVAL_MS,
      'subscription expiry sweep',
      new Logger('SubscriptionExpirySweeper'),
    );
  }

  // A failed sweep's transactions rolled back: its subscriptions stay and the next sweep retries them.
  protected async sweep(): Promise<void> {
    const ended = await this.subscriptions.expiry.sweep();
    if (ended > 0) this.logger.log(`ended ${ended} expired presence subscriptions`);
  }
}
