import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The IM store: messages (the offline store until answered) and their per-device push attempts. */
export class ImMessages1795493069063 implements MigrationInterface {
  readonly name = 'ImMessages1795493069063';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE messages (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        seq bigint GENERATED ALWAYS AS IDENTITY,
        sender_aor text NOT NULL,
        command_id text NOT NULL,
        message_id text NOT NULL,
        recipient_aor text NOT NULL,
        text text NOT NULL,
        sent_at timestamptz NOT NULL,
        delivered_at timestamptz,
        stored_notified_at timestamptz,
        CONSTRAINT pk_messages PRIMARY KEY (id),
        CONSTRAINT uq_messages_sender_message_id UNIQUE (sender_aor, message_id)
      )`);
    // Login delivery reads a recipient's undelivered messages in seq order.
    await queryRunner.query(
      `CREATE INDEX ix_messages_pending ON messages (recipient_aor, seq) WHERE delivered_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE message_deliveries (
        push_id text NOT NULL,
        message_key uuid NOT NULL,
        recipient_aor text NOT NULL,
        device_id text NOT NULL,
        attempted_at timestamptz NOT NULL,
        outcome text,
        outcome_at timestamptz,
        CONSTRAINT pk_message_deliveries PRIMARY KEY (push_id),
        CONSTRAINT fk_message_deliveries_message FOREIGN KEY (message_key) REFERENCES messages (id)
          ON DELETE CASCADE,
        CONSTRAINT ck_message_deliveries_outcome
          CHECK (outcome IN ('answered', 'failed', 'timed-out', 'no-flow'))
      )`);
    // "Is any attempt of this message still in flight or answered?" after each outcome.
    await queryRunner.query(
      `CREATE INDEX ix_message_deliveries_message_key ON message_deliveries (message_key)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE message_deliveries`);
    await queryRunner.query(`DROP TABLE messages`);
  }
}
