import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The push whose answer marked a message delivered: a redelivered outcome of that push tells the
 * sender `delivered` again (ImSettle publishes it after its commit, so the first telling may have
 * been lost), and no other push's answer does. Nullable, no default: no table rewrite.
 */
export class ImMessagesDeliveredPushId1797100000000 implements MigrationInterface {
  readonly name = 'ImMessagesDeliveredPushId1797100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN delivered_push_id text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN delivered_push_id`);
  }
}
