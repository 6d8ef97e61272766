import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Rosters, per-device presence and the aggregate each user shows. */
export class PresenceRostersAndStatus1795493295151 implements MigrationInterface {
  readonly name = 'PresenceRostersAndStatus1795493295151';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE roster_entries (
        owner_aor text NOT NULL,
        buddy_aor text NOT NULL,
        name text,
        "group" text,
        state text NOT NULL CONSTRAINT ck_roster_entries_state CHECK (state IN ('both', 'pending-out', 'pending-in')),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_roster_entries PRIMARY KEY (owner_aor, buddy_aor)
      )`);
    // Fan-out: who holds this user as an accepted buddy, answered from the index alone.
    await queryRunner.query(
      `CREATE INDEX ix_roster_entries_watchers ON roster_entries (buddy_aor) INCLUDE (owner_aor) WHERE state = 'both'`,
    );
    await queryRunner.query(`
      CREATE TABLE presence_devices (
        aor text NOT NULL,
        device_id text NOT NULL,
        mode text NOT NULL CONSTRAINT ck_presence_devices_mode CHECK (mode IN ('plain', 'session', 'ended')),
        status text CONSTRAINT ck_presence_devices_status CHECK (status IN ('online', 'away', 'busy', 'invisible')),
        note text,
        changed_at timestamptz NOT NULL,
        CONSTRAINT pk_presence_devices PRIMARY KEY (aor, device_id),
        CONSTRAINT ck_presence_devices_session_status CHECK ((mode = 'session') = (status IS NOT NULL))
      )`);
    await queryRunner.query(`
      CREATE TABLE presence_aggregates (
        aor text NOT NULL,
        status text NOT NULL CONSTRAINT ck_presence_aggregates_status CHECK (status IN ('online', 'away', 'busy', 'offline')),
        note text,
        changed_at timestamptz NOT NULL,
        CONSTRAINT pk_presence_aggregates PRIMARY KEY (aor)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE presence_aggregates`);
    await queryRunner.query(`DROP TABLE presence_devices`);
    await queryRunner.query(`DROP TABLE roster_entries`);
  }
}
