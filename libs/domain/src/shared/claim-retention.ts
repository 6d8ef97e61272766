import type { CommandKey } from './idempotency';
import { type RetentionSettings, RetentionSweep } from './retention-sweep';
import type { Transaction } from './unit-of-work';

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

export interface ClaimRetentionDependencies extends RetentionSettings {
  store: ClaimRetentionStore;
  /** The claims pruned: one service's, e.g. auth's REGISTER claims. */
  service: string;
}

/**
 * Keeps one service's idempotency claims (`processed_commands`) from growing with traffic: each
 * sweep deletes, in batches, the claims older than the retention. Safe with several replicas.
 */
export class ClaimRetention extends RetentionSweep {
  constructor(deps: ClaimRetentionDependencies) {
    super(deps, (tx, before, limit) => deps.store.deleteClaimsBefore(tx, deps.service, before, limit));
  }
}
