import { BatchSweep, type BatchSweepSettings } from './batch-sweep';
import type { Transaction } from './unit-of-work';

/** Deletes up to `limit` of the kept rows made before `before`; returns how many. */
export type DeleteRowsBefore = (tx: Transaction, before: Date, limit: number) => Promise<number>;

/** What a retention keeps and for how long; each kind of row sets its own. */
export interface RetentionSettings extends BatchSweepSettings {
  /** A row older than this can no longer be needed (see the retention's reason). */
  retentionMs: number;
}

/**
 * Keeps a table from growing with traffic: each sweep deletes, one statement per batch, the rows
 * older than the retention.
 */
export class RetentionSweep extends BatchSweep {
  constructor(settings: RetentionSettings, deleteBefore: DeleteRowsBefore) {
    super(settings, 'single-statement', (tx, now, limit) =>
      deleteBefore(tx, new Date(now.getTime() - settings.retentionMs), limit),
    );
  }
}
