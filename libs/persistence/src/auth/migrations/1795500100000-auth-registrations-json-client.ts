import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `registrations.json_client`: the device sent `login` during this registration. Kept across
 * refreshes and dropped with the row, so a JSON client that logged out is not taken for a plain
 * SIP device (protocol.md §7). Bindings with a session already are JSON clients.
 */
export class AuthRegistrationsJsonClient1795500100000 implements MigrationInterface {
  readonly name = 'AuthRegistrationsJsonClient1795500100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE registrations ADD COLUMN json_client boolean NOT NULL DEFAULT false`,
    );
    await queryRunner.query(`
      UPDATE registrations r SET json_client = true
      FROM sessions s WHERE s.aor = r.aor AND s.device_id = r.device_id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE registrations DROP COLUMN json_client`);
  }
}
