import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * auth's read contract gains `auth_plain_devices_v1` (architecture.md, "Tables and who reads
 * them"): the plain SIP devices, for im-router's plain-device sweep to lock. auth_devices_v1 cannot
 * be locked: its session is the nullable side of an outer join.
 */
export class AuthPlainDevicesV11796700000000 implements MigrationInterface {
  readonly name = 'AuthPlainDevicesV11796700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Live bindings that sent no `login` during this registration (protocol.md §7). Locking a row
    // FOR SHARE locks the binding: a login of the device, which marks it json_client in the
    // statement that saves its session, waits for the locking transaction to end.
    await queryRunner.query(`
      CREATE VIEW auth_plain_devices_v1 AS
      SELECT r.aor, r.device_id
      FROM registrations r
      WHERE NOT r.json_client AND r.expires_at > now()
        AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.aor = r.aor AND s.device_id = r.device_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP VIEW auth_plain_devices_v1`);
  }
}
