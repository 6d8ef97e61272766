import { type EventPublisher, sweepInBatches, type UnitOfWork } from '../shared';
import type { RegistrationRepository } from './ports';
import { publishRemovals } from './registration-events';

export interface RegistrationExpiryDependencies {
  unitOfWork: UnitOfWork;
  bus: EventPublisher;
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
  sweep(): Promise<number> {
    return sweepInBatches(this.deps.batchSize, () => this.sweepBatch());
  }

  /** One batch, announced before its transaction commits (see publishRemovals). */
  private sweepBatch(): Promise<number> {
    return this.deps.unitOfWork.run(async (tx) => {
      const at = this.now();
      const removed = await this.deps.registrations.removeExpired(tx, at, this.deps.batchSize);
      await publishRemovals(this.deps.bus, removed, 'expired', at);
      return removed.length;
    });
  }
}
