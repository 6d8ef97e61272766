import type { CommandKey } from './idempotency';
import { sweepInBatches } from './sweep-in-batches';
import type { Transaction, UnitOfWork } from './unit-of-work';

/** Deletes old idempotency claims. */
export interface ClaimRetentionStore {
  /**
   * Deletes up to `limit` claims of `service` made before `before`, skipping rows a concurrent
   * transaction holds (another replica's prune, or a claim being made) and claims whose stored
   * result still holds `events` not yet published (AuthCommandService: a redelivery publishes
   * them); returns how many.
   */
  deleteClaimsBefore(
    tx: Transaction,
    service: CommandKey['service'],
    before: Date,
    limit: number,
  ): Promise<number>;
}

export interface ClaimRetentionDependencies {
  unitOfWork: UnitOfWork;
  store: ClaimRetentionStore;
  /** The claims pruned: one service's, e.g. auth's REGISTER claims. */
  service: string;
  /** A claim older than this can no longer be needed (see the service's reason). */
  retentionMs: number;
  /** Claims deleted per transaction. */
  batchSize: number;
  now?: () => Date;
}

/**
 * Keeps one service's idempotency claims (`processed_commands`) from growing with traffic: each
 * sweep deletes, in batches, the claims older than the retention. Safe with several replicas.
 */
export class ClaimRetention {
  private readonly now: () => Date;

  constructor(private readonly deps: ClaimRetentionDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Deletes every claim past the retention; returns how many. */
  sweep(): Promise<number> {
    const before = new Date(this.now().getTime() - this.deps.retentionMs);
    return sweepInBatches(this.deps.batchSize, () =>
      this.deps.unitOfWork.runSingleStatement((tx) =>
        this.deps.store.deleteClaimsBefore(tx, this.deps.service, before, this.deps.batchSize),
      ),
    );
  }
}
