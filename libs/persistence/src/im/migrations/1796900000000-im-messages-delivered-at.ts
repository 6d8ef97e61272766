import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The message retention sweep reads delivered messages oldest delivery first. Partial: the offline
 * store (undelivered) is never swept, and a message enters the index once, when it is delivered.
 * Built CONCURRENTLY, outside a transaction: `messages` of a deployment that ran for months is
 * large, and im-router of the previous release keeps writing to it during the upgrade.
 */
export class ImMessagesDeliveredAt1796900000000 implements MigrationInterface {
  readonly name = 'ImMessagesDeliveredAt1796900000000';
  readonly transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    // A concurrent build that failed (its migration is then not recorded) leaves an invalid index
    // behind: dropped, so that this run builds it again.
    const invalid: unknown[] = await queryRunner.query(
      `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE c.relname = 'ix_messages_delivered_at' AND NOT i.indisvalid`,
    );
    if (invalid.length > 0) {
      await queryRunner.query(`DROP INDEX CONCURRENTLY ix_messages_delivered_at`);
    }
    await queryRunner.query(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_messages_delivered_at
       ON messages (delivered_at) WHERE delivered_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS ix_messages_delivered_at`);
  }
}
