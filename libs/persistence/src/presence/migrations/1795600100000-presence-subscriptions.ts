import type { MigrationInterface, QueryRunner } from 'typeorm';

/** SIMPLE presence subscriptions (protocol.md §7): one row per RFC 6665 dialog, owned by presence. */
export class PresenceSubscriptions1795600100000 implements MigrationInterface {
  readonly name = 'PresenceSubscriptions1795600100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE presence_subscriptions (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        subscriber_aor text NOT NULL,
        target_aor text NOT NULL,
        device_id text NOT NULL,
        edge_id text NOT NULL,
        flow_id text NOT NULL,
        call_id text NOT NULL,
        subscriber_tag text NOT NULL,
        notifier_tag text NOT NULL,
        contact text NOT NULL,
        route_set jsonb NOT NULL,
        event_id text,
        subscriber_cseq bigint NOT NULL,
        notify_cseq bigint NOT NULL,
        expires_at timestamptz NOT NULL,
        CONSTRAINT pk_presence_subscriptions PRIMARY KEY (id),
        CONSTRAINT uq_presence_subscriptions_dialog UNIQUE (subscriber_aor, call_id, subscriber_tag, notifier_tag)
      )`);
    // Fan-out: the subscriptions to one presentity; sweep: the next to expire.
    await queryRunner.query(
      `CREATE INDEX ix_presence_subscriptions_target ON presence_subscriptions (target_aor)`,
    );
    await queryRunner.query(
      `CREATE INDEX ix_presence_subscriptions_expires ON presence_subscriptions (expires_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE presence_subscriptions`);
  }
}
