import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Auth's tables: accounts (HA1 per algorithm, profile), registrations (bindings), sessions. */
export class AuthAccountsRegistrationsSessions1795493286458 implements MigrationInterface {
  readonly name = 'AuthAccountsRegistrationsSessions1795493286458';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE accounts (
        username text NOT NULL,
        aor text NOT NULL,
        realm text NOT NULL,
        ha1_md5 text NOT NULL,
        ha1_sha256 text NOT NULL,
        disabled boolean NOT NULL DEFAULT false,
        display_name text,
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT pk_accounts PRIMARY KEY (username),
        CONSTRAINT uq_accounts_aor UNIQUE (aor),
        CONSTRAINT ck_accounts_settings_object CHECK (jsonb_typeof(settings) = 'object')
      )`);
    await queryRunner.query(`
      CREATE TABLE registrations (
        aor text NOT NULL,
        device_id text NOT NULL,
        contact text NOT NULL,
        edge_id text NOT NULL,
        flow_id text NOT NULL,
        transport text NOT NULL,
        source jsonb NOT NULL,
        call_id text NOT NULL,
        cseq bigint NOT NULL,
        expires_at timestamptz NOT NULL,
        CONSTRAINT pk_registrations PRIMARY KEY (aor, device_id),
        CONSTRAINT fk_registrations_account FOREIGN KEY (aor) REFERENCES accounts (aor) ON DELETE CASCADE
      )`);
    // The expiry sweeper scans by expires_at; an edge that is lost drops its bindings by edge_id.
    await queryRunner.query(`CREATE INDEX ix_registrations_expires_at ON registrations (expires_at)`);
    await queryRunner.query(`CREATE INDEX ix_registrations_edge_id ON registrations (edge_id)`);
    await queryRunner.query(`
      CREATE TABLE sessions (
        aor text NOT NULL,
        device_id text NOT NULL,
        carrier text NOT NULL,
        status text NOT NULL,
        note text,
        device_name text,
        device_agent text,
        started_at timestamptz NOT NULL,
        CONSTRAINT pk_sessions PRIMARY KEY (aor, device_id),
        CONSTRAINT ck_sessions_carrier CHECK (carrier IN ('INFO', 'MESSAGE')),
        CONSTRAINT fk_sessions_registration FOREIGN KEY (aor, device_id)
          REFERENCES registrations (aor, device_id) ON DELETE CASCADE
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sessions`);
    await queryRunner.query(`DROP TABLE registrations`);
    await queryRunner.query(`DROP TABLE accounts`);
  }
}
