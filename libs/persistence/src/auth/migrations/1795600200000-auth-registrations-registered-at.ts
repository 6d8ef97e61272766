import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `registrations.registered_at`: when the binding was created (kept across refreshes, dropped
 * with the row). A binding without a session is taken for a plain SIP device only once its
 * login grace has passed since then: a JSON client between its REGISTER and its login is not
 * sent IMs as text/plain (protocol.md §7). Existing bindings count as registered long ago.
 */
export class AuthRegistrationsRegisteredAt1795600200000 implements MigrationInterface {
  readonly name = 'AuthRegistrationsRegisteredAt1795600200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE registrations ADD COLUMN registered_at timestamptz NOT NULL DEFAULT '-infinity'`,
    );
    await queryRunner.query(`ALTER TABLE registrations ALTER COLUMN registered_at SET DEFAULT now()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE registrations DROP COLUMN registered_at`);
  }
}
