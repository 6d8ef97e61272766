import { BatchSweep, type BatchSweepSettings, type EventPublisher } from '../../shared';
import type { SimpleNotifier } from './simple-notifier';
import type { SubscriptionRepository } from './subscription-model';

export interface SubscriptionExpiryDependencies extends BatchSweepSettings {
  subscriptions: SubscriptionRepository;
  notifier: SimpleNotifier;
  bus: EventPublisher;
}

/**
 * Ends subscriptions whose expiry passed without a refresh, each with a final NOTIFY
 * `terminated;reason=timeout` (RFC 6665 §4.2.2). Safe with several replicas sweeping at once:
 * each batch skips the rows another replica holds.
 */
export class SubscriptionExpiry extends BatchSweep {
  constructor(deps: SubscriptionExpiryDependencies) {
    // A batch's NOTIFYs are published before it commits, so a failed publish leaves the rows for the next sweep.
    super(deps, 'transaction', async (tx, now, limit) => {
      const expired = await deps.subscriptions.removeExpired(tx, now, limit);
      const records = expired.flatMap(({ presence, ...target }) =>
        deps.notifier.records([target], presence, 'terminated'),
      );
      if (records.length > 0) await deps.bus.publish(records);
      return expired.length;
    });
  }
}
