import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Percent of each page new rows may fill; the rest is for their refreshes' new versions. */
const REGISTRATIONS_FILLFACTOR = 70;

/**
 * A REGISTER refresh becomes a HOT update. Only the expiry changes on a refresh, and it was
 * indexed (ix_registrations_expires_at, for the expiry sweep): every refresh wrote a new row
 * version into all four indexes of the table (about 370 of a refresh's 540 bytes of WAL on the
 * table, 15 µs of PostgreSQL's CPU; bench/README, session 11). The sweep now finds bindings by
 * `sweep_at`, a lower bound of the expiry that a refresh extending the expiry leaves alone: a
 * binding whose `sweep_at` passed is removed when it expired, otherwise its `sweep_at` moves up to
 * its expiry, once per expiry period however often the device refreshes. A refresh that shortens
 * the expiry lowers `sweep_at` with it, and the CHECK keeps the sweep from ever coming late.
 *
 * No backfill: the bindings stored before it are due at '-infinity', and the first sweep after
 * it puts them off to their expiry (or removes the expired), a batch per transaction, while
 * REGISTERs go on; the migration itself only builds the index (a scan of the table, during which
 * REGISTERs wait: about half a second per 100,000 bindings on the bench machine; docs/deploy.md).
 */
export class AuthRegistrationsSweepAt1797200000000 implements MigrationInterface {
  readonly name = 'AuthRegistrationsSweepAt1797200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // A constant default: no rewrite of the table. A row written without sweep_at is due at once.
    await queryRunner.query(
      `ALTER TABLE registrations ADD COLUMN sweep_at timestamptz NOT NULL DEFAULT '-infinity'`,
    );
    await queryRunner.query(
      `ALTER TABLE registrations ADD CONSTRAINT ck_registrations_swept_in_time CHECK (sweep_at <= expires_at)`,
    );
    await queryRunner.query(`CREATE INDEX ix_registrations_sweep_at ON registrations (sweep_at)`);
    await queryRunner.query(`DROP INDEX ix_registrations_expires_at`);
    // A HOT update needs room for the new row version on the row's page: a REGISTER group
    // refreshes many bindings in one transaction, whose old versions no one can prune before it
    // commits. Pages written from now on keep 30 % free (without, 40 % of the refreshes were HOT
    // in cpu-per-op at 1,000/s).
    await queryRunner.query(`ALTER TABLE registrations SET (fillfactor = ${REGISTRATIONS_FILLFACTOR})`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE registrations RESET (fillfactor)`);
    await queryRunner.query(`CREATE INDEX ix_registrations_expires_at ON registrations (expires_at)`);
    await queryRunner.query(`ALTER TABLE registrations DROP COLUMN sweep_at`);
  }
}
