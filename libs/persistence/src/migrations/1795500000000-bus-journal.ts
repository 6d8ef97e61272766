import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The journal of the embedded default's bus (libs/bus JournaledEventBus): every published record,
 * and per consumer group the last journal id its handler finished on each topic-partition.
 */
export class BusJournal1795500000000 implements MigrationInterface {
  readonly name = 'BusJournal1795500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE bus_journal (
        id bigserial NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        key text NOT NULL,
        value bytea NOT NULL,
        headers jsonb NOT NULL,
        published_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_bus_journal PRIMARY KEY (id)
      )`);
    // The retention sweep deletes by age.
    await queryRunner.query(`CREATE INDEX ix_bus_journal_published_at ON bus_journal (published_at)`);
    await queryRunner.query(`
      CREATE TABLE bus_group_offsets (
        group_id text NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        last_id bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_bus_group_offsets PRIMARY KEY (group_id, topic, partition)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE bus_group_offsets`);
    await queryRunner.query(`DROP TABLE bus_journal`);
  }
}
