import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What presence and im-router may read of auth's tables, version 1 (architecture.md, "Tables and
 * who reads them"). Plain views: the planner inlines them, so a read costs what it did on the
 * tables. A change that would break a reader is a new `_v2` view beside this one; v1 is dropped
 * only once no released reader uses it.
 */
export class AuthReadContractV11796600000000 implements MigrationInterface {
  readonly name = 'AuthReadContractV11796600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Bindings not past their expiry (even before the sweeper removed them), with the carrier of
    // the device's session, NULL while it has none.
    await queryRunner.query(`
      CREATE VIEW auth_devices_v1 AS
      SELECT r.aor, r.device_id, r.edge_id, r.flow_id, r.contact, r.json_client, r.registered_at, s.carrier
      FROM registrations r LEFT JOIN sessions s ON s.aor = r.aor AND s.device_id = r.device_id
      WHERE r.expires_at > now()`);
    // A disabled account counts as absent: nobody can message it or add it.
    await queryRunner.query(`
      CREATE VIEW auth_active_accounts_v1 AS
      SELECT aor FROM accounts WHERE NOT disabled`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP VIEW auth_active_accounts_v1`);
    await queryRunner.query(`DROP VIEW auth_devices_v1`);
  }
}
