import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drops the bus journal's index on `published_at`: the retention sweep walks the primary key and
 * tests the age of the few rows no group consumes as it goes, so no statement reads the index,
 * while every journal INSERT paid for an entry in it (and its WAL).
 */
export class BusJournalNoPublishedAtIndex1797000000000 implements MigrationInterface {
  readonly name = 'BusJournalNoPublishedAtIndex1797000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX IF EXISTS ix_bus_journal_published_at');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX ix_bus_journal_published_at ON bus_journal (published_at)');
  }
}
