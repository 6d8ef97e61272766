import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finds the UDP bindings of one source address and port: a new UDP binding from an address
 * supersedes the other devices' bindings from it (a NAT gave the address to another device).
 * Partial: TCP and WS bindings are identified by their connection, never looked up by source.
 */
export class AuthRegistrationsUdpSource1796800000000 implements MigrationInterface {
  readonly name = 'AuthRegistrationsUdpSource1796800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX ix_registrations_udp_source ON registrations (source) WHERE transport = 'udp'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ix_registrations_udp_source`);
  }
}
