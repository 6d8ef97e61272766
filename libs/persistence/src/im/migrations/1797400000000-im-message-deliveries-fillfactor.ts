import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Percent of each page new delivery attempts may fill. An attempt is updated once, by its outcome
 * (again only when pushed again), and a settle transaction's old versions cannot be pruned before
 * it commits: 60 leaves room for the outcomes of two thirds of a page's attempts at once (a
 * settled version is some 18 bytes longer), every outcome of a settle of 20 (im-router's groups at
 * 750 IM/s). 50 would leave room for all, but the planner sizes a table never analysed (a new
 * deployment's first minute) by its fillfactor, and at 50 it planned the settle's update as a
 * scan of the whole table (test/im-router/message-store.test.ts, the plan made on small tables).
 */
const MESSAGE_DELIVERIES_FILLFACTOR = 60;

/**
 * A push outcome becomes a HOT update of its delivery attempt. The outcome changes no indexed
 * column (`outcome`, `outcome_at`), but the attempts of a group were inserted into full pages
 * (fillfactor 100), and their outcomes arrive together, updated in one settle transaction: at 750
 * IM/s in cpu-per-op only 28 % of the updates found room on their page, each of the others a new
 * entry in both indexes of the table, a row-lock record and a second page dirtied (bench/README,
 * session 12). The table's heap takes up to 1.7 times the pages; its rows live until the message
 * retention deletes their message.
 *
 * Safe on a live table: ALTER TABLE … SET (fillfactor) takes a SHARE UPDATE EXCLUSIVE lock for a
 * catalog change only (inserts, updates and reads go on; it waits only for a concurrent VACUUM or
 * schema change of the table), and rewrites nothing: pages written before keep their rows as
 * they are, and only pages written from then on keep the room.
 */
export class ImMessageDeliveriesFillfactor1797400000000 implements MigrationInterface {
  readonly name = 'ImMessageDeliveriesFillfactor1797400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE message_deliveries SET (fillfactor = ${MESSAGE_DELIVERIES_FILLFACTOR})`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE message_deliveries RESET (fillfactor)`);
  }
}
