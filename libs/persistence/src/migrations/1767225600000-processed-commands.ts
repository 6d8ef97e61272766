import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The idempotency record of every service (architecture.md, Idempotency). */
export class ProcessedCommands1767225600000 implements MigrationInterface {
  readonly name = 'ProcessedCommands1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE processed_commands (
        service text NOT NULL,
        aor text NOT NULL,
        command_id text NOT NULL,
        result jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_processed_commands PRIMARY KEY (service, aor, command_id)
      )`);
    // Retention jobs delete by age.
    await queryRunner.query(
      `CREATE INDEX ix_processed_commands_created_at ON processed_commands (created_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE processed_commands`);
  }
}
