import type { MigrationInterface, QueryRunner } from 'typeorm';

/** New registrations waiting out the login grace period before they are served as plain SIP devices. */
export class ImPlainDeviceQueue1795493900375 implements MigrationInterface {
  readonly name = 'ImPlainDeviceQueue1795493900375';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE plain_device_queue (
        aor text NOT NULL,
        device_id text NOT NULL,
        due_at timestamptz NOT NULL,
        CONSTRAINT pk_plain_device_queue PRIMARY KEY (aor, device_id)
      )`);
    // The sweeper takes the devices that are due.
    await queryRunner.query(`CREATE INDEX ix_plain_device_queue_due_at ON plain_device_queue (due_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE plain_device_queue`);
  }
}
