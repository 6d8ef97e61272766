import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The message retention sweep reads delivered messages oldest delivery first. Partial: the offline
 * store (undelivered) is never swept, and a message enters the index once, when it is delivered.
 *
 * Built in the migration's transaction, not CONCURRENTLY: a concurrent build waits for every
 * transaction with an older snapshot, and replicas starting together wait for this one's
 * advisory lock inside theirs, so it never finished. The build blocks writes to `messages` while
 * it runs; docs/deploy.md tells carriers with a large table to build it by hand first
 * (CONCURRENTLY), which this migration then finds and keeps.
 */
export class ImMessagesDeliveredAt1796900000000 implements MigrationInterface {
  readonly name = 'ImMessagesDeliveredAt1796900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A hand-made concurrent build that failed leaves an invalid index behind: built again here.
    const invalid: unknown[] = await queryRunner.query(
      `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE c.relname = 'ix_messages_delivered_at' AND NOT i.indisvalid`,
    );
    if (invalid.length > 0) {
      await queryRunner.query(`DROP INDEX ix_messages_delivered_at`);
    }
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS ix_messages_delivered_at
       ON messages (delivered_at) WHERE delivered_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS ix_messages_delivered_at`);
  }
}
