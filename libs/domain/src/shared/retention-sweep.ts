import { sweepInBatches } from './sweep-in-batches';
import type { Transaction, UnitOfWork } from './unit-of-work';

/** Deletes up to `limit` of the kept rows made before `before`; returns how many. */
export type DeleteRowsBefore = (tx: Transaction, before: Date, limit: number) => Promise<number>;

/** What a retention keeps and for how long; each kind of row sets its own. */
export interface RetentionSettings {
  unitOfWork: UnitOfWork;
  /** A row older than this can no longer be needed (see the retention's reason). */
  retentionMs: number;
  /** Rows deleted per statement. */
  batchSize: number;
  now?: () => Date;
}

/**
 * Keeps a table from growing with traffic: each sweep deletes, one statement per batch, the rows
 * older than the retention. Safe with several replicas when `deleteBefore` skips held rows.
 */
export class RetentionSweep {
  private readonly now: () => Date;

  constructor(
    private readonly settings: RetentionSettings,
    private readonly deleteBefore: DeleteRowsBefore,
  ) {
    this.now = settings.now ?? (() => new Date());
  }

  /** Deletes every row past the retention; returns how many. */
  sweep(): Promise<number> {
    const { unitOfWork, retentionMs, batchSize } = this.settings;
    const before = new Date(this.now().getTime() - retentionMs);
    return sweepInBatches(batchSize, () =>
      unitOfWork.runSingleStatement((tx) => this.deleteBefore(tx, before, batchSize)),
    );
  }
}
