import type { EventBus } from '#herald/bus';
import type { UnitOfWork } from '../shared';
import type { RegistrationRepository } from './ports';
import { removalEvents } from './registration-events';

export interface RegistrationExpiryDependencies {
  unitOfWork: UnitOfWork;
  bus: EventBus;
  registrations: RegistrationRepository;
  /** Bindings removed per transaction. */
  batchSize: number;
  now?: () => Date;
}

/**
 * Removes bindings whose expiry passed without a refresh. Expiry counts as logout of the device
 * (protocol.md §5): its session ends too. Safe with several replicas sweeping at once: each
 * batch skips the rows another replica holds.
 */
export class RegistrationExpiry {
  private readonly deps: RegistrationExpiryDependencies;
  private readonly now: () => Date;

  constructor(dependencies: RegistrationExpiryDependencies) {
    this.deps = dependencies;
    this.now = dependencies.now ?? (() => new Date());
  }

  /** Sweeps until no expired binding is left; returns how many were removed. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const removed = await this.sweepBatch();
      total += removed;
      if (removed < this.deps.batchSize) {
        return total;
      }
    }
  }

  /**
   * One batch. The events are published before the transaction commits: if the commit fails
   * the rows come back and the next sweep announces them again (at least once, never lost).
   */
  private sweepBatch(): Promise<number> {
    return this.deps.unitOfWork.run(async (tx) => {
      const at = this.now();
      const removed = await this.deps.registrations.removeExpired(tx, at, this.deps.batchSize);
      const events = removalEvents(removed, 'expired', at);
      if (events.length > 0) {
        await this.deps.bus.publish(
          events.map((event) => ({ topic: event.topic, key: event.key, value: Buffer.from(event.value) })),
        );
      }
      return removed.length;
    });
  }
}
