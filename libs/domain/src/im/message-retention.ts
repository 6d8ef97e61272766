import { RetentionSweep, type Transaction, type UnitOfWork } from '../shared';

/** Messages deleted per statement (their deliveries go with them, ON DELETE CASCADE). */
export const MESSAGE_RETENTION_BATCH_SIZE = 500;

/** Deletes settled messages. */
export interface MessageRetentionStore {
  /**
   * Deletes up to `limit` messages delivered before `before` that no push made since `before`
   * still awaits an outcome of, oldest delivery first, with their delivery attempts; skips rows a
   * concurrent transaction holds (another replica's sweep, a late outcome being recorded). An
   * undelivered message (the offline store) is never deleted. Returns how many.
   */
  deleteDeliveredBefore(tx: Transaction, before: Date, limit: number): Promise<number>;
}

export interface MessageRetentionDependencies {
  unitOfWork: UnitOfWork;
  store: MessageRetentionStore;
  /** A delivered message older than this is deleted. */
  retentionMs: number;
  batchSize?: number;
  now?: () => Date;
  /** Told how many messages each batch deleted: a batch is one statement, committed on its own. */
  deleted?: (count: number) => void;
}

/**
 * Keeps `messages` and `message_deliveries` from growing with every IM: each sweep deletes, in
 * batches, the messages delivered longer than the retention ago. Only delivery settles a message:
 * one no device could take stays stored for its recipient's next login however old it is, and a
 * refused recipient's message is never stored. A redelivered im.send of a deleted message finds
 * its command claim (im-router's claims have no retention) and only re-sends its result.
 */
export class MessageRetention extends RetentionSweep {
  constructor({ unitOfWork, store, retentionMs, batchSize, now, deleted }: MessageRetentionDependencies) {
    super(
      { unitOfWork, retentionMs, batchSize: batchSize ?? MESSAGE_RETENTION_BATCH_SIZE, now },
      async (tx, before, limit) => {
        const count = await store.deleteDeliveredBefore(tx, before, limit);
        deleted?.(count);
        return count;
      },
    );
  }
}
