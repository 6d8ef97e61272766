import { sweepInBatches } from './sweep-in-batches';
import type { Transaction, UnitOfWork } from './unit-of-work';

/** One batch of a sweep, in `tx`: handles at most `limit` rows due at `now`; returns how many. */
export type SweepBatch = (tx: Transaction, now: Date, limit: number) => Promise<number>;

/**
 * How each batch runs: `single-statement` for a batch that is one DELETE (no BEGIN and COMMIT),
 * `transaction` for one that writes more, e.g. publishes its events before it commits.
 */
export type SweepBatchTransaction = 'single-statement' | 'transaction';

export interface BatchSweepSettings {
  unitOfWork: UnitOfWork;
  /** Rows handled per batch. */
  batchSize: number;
  now?: () => Date;
}

/**
 * A sweep of the rows due (expired, or past a retention) in short batches until a batch comes
 * back short. Safe with several replicas sweeping at once when each batch skips the rows another
 * transaction holds. What is due, and what ending a row means, each sweep says in its batch.
 */
export class BatchSweep {
  private readonly now: () => Date;

  constructor(
    private readonly settings: BatchSweepSettings,
    private readonly transaction: SweepBatchTransaction,
    private readonly sweepBatch: SweepBatch,
  ) {
    this.now = settings.now ?? (() => new Date());
  }

  /** Sweeps until nothing due is left; returns how many rows were handled. */
  sweep(): Promise<number> {
    const { unitOfWork, batchSize } = this.settings;
    const batch = (tx: Transaction) => this.sweepBatch(tx, this.now(), batchSize);
    return sweepInBatches(batchSize, () =>
      this.transaction === 'single-statement' ? unitOfWork.runSingleStatement(batch) : unitOfWork.run(batch),
    );
  }
}
