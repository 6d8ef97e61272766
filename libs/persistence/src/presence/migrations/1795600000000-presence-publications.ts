import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A device's presence PUBLISH (RFC 3903) in force: entity-tag, basic, note, expiry, on its row. */
export class PresencePublications1795600000000 implements MigrationInterface {
  readonly name = 'PresencePublications1795600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE presence_devices
        ADD COLUMN publication_etag text,
        ADD COLUMN publication_basic text CONSTRAINT ck_presence_devices_publication_basic CHECK (publication_basic IN ('open', 'closed')),
        ADD COLUMN publication_note text,
        ADD COLUMN publication_expires_at timestamptz,
        ADD CONSTRAINT ck_presence_devices_publication_whole CHECK (
          (publication_etag IS NULL) = (publication_basic IS NULL)
          AND (publication_etag IS NULL) = (publication_expires_at IS NULL)
          AND (publication_note IS NULL OR publication_etag IS NOT NULL))`);
    // The expiry sweep reads only rows with a publication, oldest expiry first.
    await queryRunner.query(
      `CREATE INDEX ix_presence_devices_publication_expiry ON presence_devices (publication_expires_at)
       INCLUDE (aor, device_id, publication_etag) WHERE publication_expires_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ix_presence_devices_publication_expiry`);
    await queryRunner.query(`
      ALTER TABLE presence_devices
        DROP CONSTRAINT ck_presence_devices_publication_whole,
        DROP COLUMN publication_expires_at,
        DROP COLUMN publication_note,
        DROP COLUMN publication_basic,
        DROP COLUMN publication_etag`);
  }
}
