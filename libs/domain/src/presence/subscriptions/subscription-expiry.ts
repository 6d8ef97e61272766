import { type EventPublisher, sweepInBatches, type UnitOfWork } from '../../shared';
import type { SimpleNotifier } from './simple-notifier';
import type { SubscriptionRepository } from './subscription-model';

export interface SubscriptionExpiryDependencies {
  unitOfWork: UnitOfWork;
  subscriptions: SubscriptionRepository;
  notifier: SimpleNotifier;
  bus: EventPublisher;
  /** Subscriptions ended per transaction. */
  batchSize: number;
  now?: () => Date;
}

/**
 * Ends subscriptions whose expiry passed without a refresh, each with a final NOTIFY
 * `terminated;reason=timeout` (RFC 6665 §4.2.2). Safe with several replicas sweeping at once:
 * each batch skips the rows another replica holds.
 */
export class SubscriptionExpiry {
  private readonly now: () => Date;

  constructor(private readonly deps: SubscriptionExpiryDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Sweeps until no expired subscription is left; returns how many ended. */
  sweep(): Promise<number> {
    return sweepInBatches(this.deps.batchSize, () => this.sweepBatch());
  }

  /** One batch; its NOTIFYs are published before it commits, so a failed publish leaves the rows for the next sweep. */
  private sweepBatch(): Promise<number> {
    return this.deps.unitOfWork.run(async (tx) => {
      const expired = await this.deps.subscriptions.removeExpired(tx, this.now(), this.deps.batchSize);
      const records = expired.flatMap(({ presence, ...target }) =>
        this.deps.notifier.records([target], presence, 'terminated'),
      );
      if (records.length > 0) await this.deps.bus.publish(records);
      return expired.length;
    });
  }
}
