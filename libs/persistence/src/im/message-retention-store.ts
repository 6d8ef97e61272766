import type { MessageRetentionStore, Transaction } from '#herald/domain';
import { entityManagerOf } from '../unit-of-work';

/** MessageRetentionStore on `messages`; `message_deliveries` rows go with their message (ON DELETE CASCADE). */
export class SqlMessageRetentionStore implements MessageRetentionStore {
  async deleteDeliveredBefore(tx: Transaction, before: Date, limit: number): Promise<number> {
    // Oldest delivery first, through ix_messages_delivered_at (`delivered_at < $1` implies the
    // index's NOT NULL); rows locked elsewhere are left to the next sweep. An attempt made since
    // `before` without an outcome is in flight: its message stays until the attempt is settled.
    // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare DELETE.
    const rows: Array<{ deleted: number }> = await entityManagerOf(tx).query(
      `WITH old AS (
         SELECT m.id FROM messages m
         WHERE m.delivered_at < $1
           AND NOT EXISTS (
             SELECT 1 FROM message_deliveries d
             WHERE d.message_key = m.id AND d.outcome IS NULL AND d.attempted_at >= $1)
         ORDER BY m.delivered_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ), removed AS (
         DELETE FROM messages m USING old WHERE m.id = old.id RETURNING 1
       )
       SELECT count(*)::int AS deleted FROM removed`,
      [before, limit],
    );
    return rows[0]?.deleted ?? 0;
  }
}
